import { afterAll, beforeAll } from 'vitest'
import { openPgDatabase } from '../../src/storage/postgres/pg-database.ts'
import { PgRunStore } from '../../src/storage/postgres/pg-run-store.ts'
import { openSqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { type PgServer, startPostgres } from '../helpers/pg-server.ts'
import { runStoreContract } from './contract/run-store-contract.ts'
import { tempDir } from './fixtures.ts'

// One RunStore behaviour, two databases: every test gets a fresh database of its own.

const tmp = tempDir()
afterAll(() => tmp.cleanup())
let files = 0

runStoreContract('SQLite', async () => {
  const store = openSqliteRunStore(tmp.db(`contract-${++files}.db`))
  return { store, close: () => store.close() }
})

let server: PgServer
beforeAll(async () => {
  server = await startPostgres()
}, 60_000)
afterAll(async () => {
  await server?.stop()
})

runStoreContract('PostgreSQL', async () => {
  const pool = await openPgDatabase(await server.createDatabase(), { max: 4 })
  const store = new PgRunStore(pool, { instanceId: 'contract' })
  return {
    store,
    close: async () => {
      await store.close()
      await pool.end()
    },
  }
})
