import { afterAll } from 'vitest'
import { openSqliteRunStore } from '../../../src/storage/sqlite-run-store.ts'
import { SqlitePresetStore } from '../../../src/storage/sqlite-preset-store.ts'
import { openPgDatabase } from '../../../src/storage/postgres/pg-database.ts'
import { PgPresetStore } from '../../../src/storage/postgres/pg-preset-store.ts'
import { tempDir } from '../fixtures.ts'
import { presetStoreContract } from './preset-store-contract.ts'
import { usePostgres } from './pg-harness.ts'

const tmp = tempDir()
afterAll(() => tmp.cleanup())
let files = 0

presetStoreContract('SQLite', async (now) => {
  const path = tmp.db(`presets-${++files}.db`)
  let runs = openSqliteRunStore(path)
  return {
    store: new SqlitePresetStore(runs.db, now),
    async reopen() {
      await runs.close()
      runs = openSqliteRunStore(path)
      return new SqlitePresetStore(runs.db, now)
    },
    close: () => runs.close(),
  }
})

const pg = usePostgres()
presetStoreContract('PostgreSQL', async (now) => {
  let { url, pool } = await pg.database()
  return {
    store: new PgPresetStore(pool, now),
    async reopen() {
      await pool.end()
      pool = await openPgDatabase(url, { max: 4 })
      return new PgPresetStore(pool, now)
    },
    close: () => pool.end(),
  }
})
