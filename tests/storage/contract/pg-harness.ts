import { afterAll, beforeAll } from 'vitest'
import { openPgDatabase, type PgPool } from '../../../src/storage/postgres/pg-database.ts'
import { type PgServer, startPostgres } from '../../helpers/pg-server.ts'

/** One PostgreSQL server for the test file (started in beforeAll, stopped in afterAll), a fresh database per call. */
export function usePostgres(): { database(): Promise<{ url: string; pool: PgPool }> } {
  let server: PgServer | undefined
  beforeAll(async () => {
    server = await startPostgres()
  })
  afterAll(async () => {
    await server?.stop()
  })
  return {
    async database() {
      if (!server) throw new Error('PostgreSQL is not started')
      const url = await server.createDatabase()
      return { url, pool: await openPgDatabase(url, { max: 4 }) }
    },
  }
}
