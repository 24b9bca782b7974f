import { afterAll } from 'vitest'
import { SqliteArenaStore } from '../../../src/storage/arena-store.ts'
import { openSqliteRunStore } from '../../../src/storage/sqlite-run-store.ts'
import { PgArenaStore } from '../../../src/storage/postgres/pg-arena-store.ts'
import { PgRunStore } from '../../../src/storage/postgres/pg-run-store.ts'
import { addRun, tempDir } from '../fixtures.ts'
import { arenaStoreContract } from './arena-store-contract.ts'
import { usePostgres } from './pg-harness.ts'

const tmp = tempDir()
afterAll(() => tmp.cleanup())
let files = 0

arenaStoreContract('SQLite', async () => {
  const runs = openSqliteRunStore(tmp.db(`arena-${++files}.db`))
  return {
    store: new SqliteArenaStore(runs.db),
    addRun: (id, specs) => addRun(runs, id, '2026-01-01T00:00:00Z', 'a prompt', specs),
    async deleteRun(id) {
      await runs.deleteRun(id)
    },
    close: () => runs.close(),
  }
})

const pg = usePostgres()
arenaStoreContract('PostgreSQL', async () => {
  const { pool } = await pg.database()
  const runs = new PgRunStore(pool, { instanceId: 'contract' })
  return {
    store: new PgArenaStore(pool),
    addRun: (id, specs) => addRun(runs, id, '2026-01-01T00:00:00Z', 'a prompt', specs),
    async deleteRun(id) {
      await runs.deleteRun(id)
    },
    async close() {
      await runs.close()
      await pool.end()
    },
  }
})
