import { statSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { applyMigrations, openDatabase, schemaVersion, StorageError } from '../../src/storage/database.ts'
import { migrations } from '../../src/storage/migrations.ts'
import { tempDir } from './fixtures.ts'

const tmp = tempDir()
afterAll(() => tmp.cleanup())

describe('openDatabase', () => {
  it('creates a WAL database at the latest schema version, readable by its owner only', () => {
    const path = tmp.db('fresh.db')
    const db = openDatabase(path)
    expect(schemaVersion(db)).toBe(migrations.length)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('synchronous', { simple: true })).toBe(1) // NORMAL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000)
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all()
    expect(tables).toEqual(expect.arrayContaining(['runs', 'results', 'runs_fts']))
    db.close()
    expect(statSync(path).mode & 0o777).toBe(0o600)
  })

  it('keeps data and applies nothing twice when reopened', () => {
    const path = tmp.db('reopen.db')
    const first = openDatabase(path)
    first
      .prepare(
        "INSERT INTO runs (id, conversation_id, created_at, status, prompt) VALUES ('a', 'a', 1, 'done', 'hello')",
      )
      .run()
    first.close()
    const again = openDatabase(path)
    expect(applyMigrations(again, migrations)).toBe(0)
    expect(again.prepare('SELECT prompt FROM runs').pluck().get()).toBe('hello')
    again.close()
  })

  it('upgrades a version 1 database in place, filling the copied run time of existing results', () => {
    const path = tmp.db('v1.db')
    const old = openDatabase(path, migrations.slice(0, 1))
    expect(schemaVersion(old)).toBe(1)
    old
      .prepare(
        "INSERT INTO runs (id, conversation_id, created_at, status, prompt) VALUES ('a', 'a', 1234, 'done', 'p')",
      )
      .run()
    old
      .prepare(
        'INSERT INTO results (run_id, idx, target, provider, model, label, status) ' +
          "VALUES ('a', 0, 'x/y', 'x', 'y', 'y', 'ok')",
      )
      .run()
    old.close()
    const db = openDatabase(path)
    expect(schemaVersion(db)).toBe(migrations.length)
    expect(db.prepare('SELECT created_at FROM results').pluck().get()).toBe(1234)
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    db.close()
  })

  it('re-keys runs of a version 2 database in start-time order and rebuilds the search index', () => {
    const path = tmp.db('v2.db')
    const old = openDatabase(path, migrations.slice(0, 2))
    const insert = old.prepare(
      "INSERT INTO runs (id, conversation_id, created_at, status, prompt) VALUES (?, ?, ?, 'done', ?)",
    )
    // Inserted out of time order (an import of older runs), two in the same millisecond.
    insert.run('late', 'late', 3000, 'sqlite late')
    insert.run('early', 'early', 1000, 'sqlite early')
    insert.run('twin-a', 'twin-a', 2000, 'sqlite twin a')
    insert.run('twin-b', 'twin-b', 2000, 'sqlite twin b')
    old.close()
    const db = openDatabase(path)
    const byKey = db.prepare('SELECT id, seq FROM runs ORDER BY seq').all() as Array<{ id: string; seq: number }>
    expect(byKey.map((r) => r.id)).toEqual(['early', 'twin-a', 'twin-b', 'late'])
    expect(byKey.map((r) => r.seq)).toEqual([1000 * 1024, 2000 * 1024, 2000 * 1024 + 1, 3000 * 1024])
    const hits = db
      .prepare(
        "SELECT r.id FROM runs_fts f JOIN runs r ON r.seq = f.rowid WHERE runs_fts MATCH 'twin' ORDER BY f.rowid",
      )
      .pluck()
      .all()
    expect(hits).toEqual(['twin-a', 'twin-b'])
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    db.exec("INSERT INTO runs_fts (runs_fts) VALUES ('integrity-check')")
    db.close()
  })

  it('refuses a database written by a newer Juxta', () => {
    const path = tmp.db('newer.db')
    const db = openDatabase(path)
    db.pragma(`user_version = ${migrations.length + 1}`)
    db.close()
    expect(() => openDatabase(path)).toThrow(StorageError)
    expect(() => openDatabase(path)).toThrow(/newer than this Juxta knows/)
  })

  it('rolls a failing migration back completely', () => {
    const path = tmp.db('failing.db')
    const db = openDatabase(path)
    const broken = [
      ...migrations,
      {
        version: migrations.length + 1,
        name: 'half done',
        sql: 'CREATE TABLE extra (x); INSERT INTO nowhere VALUES (1);',
      },
    ]
    expect(() => applyMigrations(db, broken)).toThrow(/nowhere/)
    expect(schemaVersion(db)).toBe(migrations.length)
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'extra'").pluck().get()).toBe(0)
    db.close()
  })

  it('rejects a migration list with a gap in its versions', () => {
    const db = openDatabase(':memory:')
    expect(() => applyMigrations(db, [{ version: 2, name: 'skips one', sql: '' }])).toThrow(/expected 1/)
    db.close()
  })
})
