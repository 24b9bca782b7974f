import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyPgMigrations, openPgDatabase } from '../../../src/storage/postgres/pg-database.ts'
import { describePgUrl } from '../../../src/storage/postgres/pg-url.ts'
import { type PgServer, startPostgres } from '../../helpers/pg-server.ts'

describe('PostgreSQL schema migrations', () => {
  let server: PgServer
  beforeAll(async () => {
    server = await startPostgres()
  })
  afterAll(async () => {
    await server?.stop()
  })

  const steps = [
    { version: 1, name: 'a', sql: 'CREATE TABLE a (n int); SELECT pg_sleep(0.2)' },
    { version: 2, name: 'b', sql: 'CREATE TABLE b (n int)' },
  ]

  it('applies each step once when several instances start together', async () => {
    const url = await server.createDatabase()
    // Without the advisory lock, the second would fail on CREATE TABLE a or record version 1 twice.
    const pools = await Promise.all([1, 2, 3].map(() => openPgDatabase(url, { migrations: steps })))
    const { rows } = await pools[0]!.query('SELECT version, name FROM schema_version ORDER BY version')
    expect(rows).toEqual([
      { version: 1, name: 'a' },
      { version: 2, name: 'b' },
    ])
    expect(await applyPgMigrations(pools[1]!, steps)).toBe(0)
    await Promise.all(pools.map((p) => p.end()))
  })

  it('refuses a database newer than this Juxta, and a failing step rolls back', async () => {
    const url = await server.createDatabase()
    const pool = await openPgDatabase(url, { migrations: steps })
    await expect(applyPgMigrations(pool, steps.slice(0, 1))).rejects.toThrow(
      'database schema version 2 is newer than this Juxta knows (1); upgrade Juxta',
    )
    const bad = [...steps, { version: 3, name: 'bad', sql: 'CREATE TABLE c (n int); SELECT nope' }]
    await expect(applyPgMigrations(pool, bad)).rejects.toThrow(/migration 3 \(bad\) failed: column "nope"/)
    const { rows } = await pool.query(`SELECT to_regclass('c') AS c`)
    expect(rows[0].c).toBeNull()
    await pool.end()
  })

  it('names a server without its password', () => {
    expect(describePgUrl('postgres://juxta:s3cret@db.internal:5432/juxta')).toBe(
      'postgres://juxta@db.internal:5432/juxta',
    )
    expect(describePgUrl('nope')).toBe('an unparsable DATABASE_URL')
  })
})
