import type { Migration } from '../migrations.ts'
import { runsSchema } from './schema-runs.ts'
import { studiesSchema } from './schema-studies.ts'
import { teamSchema } from './schema-team.ts'

/**
 * The PostgreSQL schema, one step per version, applied in order at start under an advisory lock (see
 * pg-database.ts). Never edit a shipped step: append one. It holds what the SQLite migrations hold, in one
 * step per area, since no PostgreSQL database has an older shape.
 */
export const pgMigrations: ReadonlyArray<Migration> = [
  { version: 1, name: 'runs, target results, images, search', sql: runsSchema },
  { version: 2, name: 'presets, studies and arena', sql: studiesSchema },
  { version: 3, name: 'team: sessions, settings documents, instance leases', sql: teamSchema },
]
