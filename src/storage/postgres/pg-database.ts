import pg from 'pg'
import { StorageError } from '../database.ts'
import type { Migration } from '../migrations.ts'
import { describePgUrl } from './pg-url.ts'
import { pgMigrations } from './pg-migrations.ts'

export type PgPool = pg.Pool

/** Any number of instances may start together: the first takes this lock and migrates, the others wait. */
const MIGRATION_LOCK = 0x6a757874 // "juxt"

// BIGINT (int8) and NUMERIC come back as strings (pg's default), kept so on purpose: run keys fit a double but
// pico-dollar costs and sums do not ($10,000 is 1e16 pico). Stores convert them explicitly (Number or BigInt).

export interface PgDatabaseOptions {
  log?: (line: string) => void
  /** Default 10 connections. */
  max?: number
  /** A query not answered by then fails (default 60 s; a bulk load may ask for more). */
  queryTimeoutMs?: number
  migrations?: ReadonlyArray<Migration>
}

/**
 * Opens a pool on DATABASE_URL and brings the schema up to date. A pool error (the server restarting, a
 * connection cut) is logged, never thrown at the process: pg re-connects on the next query.
 */
export async function openPgDatabase(url: string, options: PgDatabaseOptions = {}): Promise<PgPool> {
  const log = options.log ?? (() => {})
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: 10_000,
    // A server cut off without a reset (a network partition) is noticed in a minute, not the kernel's fifteen.
    keepAlive: true,
    query_timeout: options.queryTimeoutMs ?? 60_000,
    idle_in_transaction_session_timeout: 60_000,
  })
  let lastLogged = 0
  pool.on('error', (err) => {
    // One line per few seconds at most while the server is away.
    if (Date.now() - lastLogged < 5000) return
    lastLogged = Date.now()
    log(`database: connection lost (${err.message}); reconnecting on the next query`)
  })
  try {
    await applyPgMigrations(pool, options.migrations ?? pgMigrations)
  } catch (err) {
    await pool.end().catch(() => {})
    if (err instanceof StorageError) throw err
    throw new StorageError(`cannot prepare database ${describePgUrl(url)}: ${(err as Error).message}`, { cause: err })
  }
  return pool
}

/**
 * Applies every migration newer than the stored version, each in its own transaction, under a session-level
 * advisory lock: two instances starting together never race, the second finds the work done.
 */
export async function applyPgMigrations(pool: PgPool, migrations: ReadonlyArray<Migration>): Promise<number> {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new StorageError(`migration ${m.name} has version ${m.version}, expected ${i + 1}`)
  })
  const client = await pool.connect()
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_version (
        version INTEGER NOT NULL, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`)
      const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_version')
      const current = rows[0]?.v ?? 0
      if (current > migrations.length) {
        throw new StorageError(
          `database schema version ${current} is newer than this Juxta knows (${migrations.length}); upgrade Juxta`,
        )
      }
      let applied = 0
      for (const m of migrations.slice(current)) {
        await client.query('BEGIN')
        try {
          await client.query(m.sql)
          await client.query('INSERT INTO schema_version (version, name) VALUES ($1, $2)', [m.version, m.name])
          await client.query('COMMIT')
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {})
          throw new StorageError(`migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, {
            cause: err,
          })
        }
        applied++
      }
      return applied
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {})
    }
  } finally {
    client.release()
  }
}

/** Runs `fn` in one transaction on one connection (rolled back when it throws). */
export async function pgTransaction<T>(pool: PgPool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    const result = await fn(client)
    await client.query('COMMIT')
    return result
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {})
    throw err
  } finally {
    client.release()
  }
}
