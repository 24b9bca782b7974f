import { afterAll, beforeAll } from 'vitest'
import type { Migration } from '../../../src/storage/migrations.ts'
import { openPgDatabase, type PgPool } from '../../../src/storage/postgres/pg-database.ts'
import { pgMigrations } from '../../../src/storage/postgres/pg-migrations.ts'
import { type PgServer, startPostgres } from '../../helpers/pg-server.ts'
import type { Spec } from '../fixtures.ts'

/**
 * Until the runs schema (migration 1) is in this branch: the few columns of `runs` and `results` the studies
 * migration and the arena store use, named as in SQLite. Swap for the real migration 1 (and seed through the
 * PostgreSQL run store) once it lands.
 */
const minimalRuns: Migration = {
  version: 1,
  name: 'test: minimal runs and results',
  sql: `
    CREATE TABLE runs (
      seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      study_id TEXT
    );
    CREATE TABLE results (
      run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      idx INTEGER NOT NULL,
      target TEXT NOT NULL,
      label TEXT NOT NULL,
      status TEXT NOT NULL,
      cost_pico BIGINT,
      ttft_ms DOUBLE PRECISION,
      UNIQUE (run_id, idx)
    );
  `,
}

const studiesStep = pgMigrations.find((m) => m.version === 2)!
export const testMigrations: Migration[] = [minimalRuns, studiesStep]

/** One PostgreSQL server for the test file (started in beforeAll, stopped in afterAll). */
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
      return { url, pool: await openPgDatabase(url, { migrations: testMigrations }) }
    },
  }
}

/** Records a finished run with these results (the columns the arena reads), as the fixture's addRun does. */
export async function addPgRun(pool: PgPool, id: string, specs: Spec[]): Promise<void> {
  await pool.query('INSERT INTO runs (id) VALUES ($1)', [id])
  for (const [idx, s] of specs.entries()) {
    await pool.query(
      `INSERT INTO results (run_id, idx, target, label, status, cost_pico, ttft_ms)
       VALUES ($1, $2, $3, $4, $5, $6, 10)`,
      [id, idx, s.target, s.target.split('/')[1], s.status ?? 'ok', s.pico === null ? null : s.pico.toString()],
    )
  }
}
