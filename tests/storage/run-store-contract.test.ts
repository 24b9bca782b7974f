import { afterAll } from 'vitest'
import { openSqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { runStoreContract } from './contract/run-store-contract.ts'
import { tempDir } from './fixtures.ts'
import { usePostgres } from './postgres/pg-fixtures.ts'

// One RunStore behaviour, two databases: every test gets a fresh database of its own.

const tmp = tempDir()
afterAll(() => tmp.cleanup())
let files = 0

runStoreContract('SQLite', async () => {
  const store = openSqliteRunStore(tmp.db(`contract-${++files}.db`))
  return { store, close: () => store.close() }
})

const postgres = usePostgres()

runStoreContract('PostgreSQL', async () => {
  const { pool, store } = await postgres.fresh('contract')
  return {
    store,
    close: async () => {
      await store.close()
      await pool.end()
    },
  }
})
