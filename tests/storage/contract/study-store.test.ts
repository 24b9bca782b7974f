import { afterAll } from 'vitest'
import { openSqliteRunStore } from '../../../src/storage/sqlite-run-store.ts'
import { SqliteStudyStore } from '../../../src/storage/sqlite-study-store.ts'
import { PgStudyStore } from '../../../src/storage/postgres/pg-study-store.ts'
import { tempDir } from '../fixtures.ts'
import { studyStoreContract } from './study-store-contract.ts'
import { usePostgres } from './pg-harness.ts'

const tmp = tempDir()
afterAll(() => tmp.cleanup())
let files = 0

studyStoreContract('SQLite', async () => {
  const runs = openSqliteRunStore(tmp.db(`studies-${++files}.db`))
  return { store: new SqliteStudyStore(runs.db), close: () => runs.close() }
})

const pg = usePostgres()
studyStoreContract('PostgreSQL', async () => {
  const { pool } = await pg.database()
  return { store: new PgStudyStore(pool), close: () => pool.end() }
})
