import type pg from 'pg'
import { afterAll, beforeAll } from 'vitest'
import { openPgDatabase } from '../../../src/storage/postgres/pg-database.ts'
import { PgRunStore } from '../../../src/storage/postgres/pg-run-store.ts'
import { type PgServer, startPostgres } from '../../helpers/pg-server.ts'

/**
 * One PostgreSQL server for the calling test file (started before its tests, stopped after them), and a
 * migrated database of its own per call of `fresh`: its pool (the caller ends it) and a run store on it.
 */
export function usePostgres(): {
  server: () => PgServer
  fresh: (instanceId?: string) => Promise<{ pool: pg.Pool; store: PgRunStore }>
} {
  let server: PgServer | undefined
  beforeAll(async () => {
    server = await startPostgres()
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
  })
  return {
    server: () => server!,
    async fresh(instanceId) {
      const pool = await openPgDatabase(await server!.createDatabase(), { max: 6 })
      return { pool, store: new PgRunStore(pool, { instanceId }) }
    },
  }
}
