import { chmodSync, existsSync } from 'node:fs'
import Database from 'better-sqlite3'
import { migrations as allMigrations, type Migration } from './migrations.ts'

export type SqliteDatabase = Database.Database

export class StorageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StorageError'
  }
}

/**
 * Opens (or creates) the SQLite file and brings its schema up to date.
 *
 * WAL lets the history pages read while a run is being written. synchronous=NORMAL: in WAL mode every commit
 * survives a crash or `kill -9` of the process and the file never corrupts; only a power loss or OS crash
 * may roll back the last commits. A partial-text flush every 500 ms per running target would otherwise
 * cost an fsync each, and history is a record of runs, not a ledger, so NORMAL is the right trade.
 */
export function openDatabase(path: string, migrations: ReadonlyArray<Migration> = allMigrations): SqliteDatabase {
  const isNew = path !== ':memory:' && !existsSync(path)
  let db: SqliteDatabase
  try {
    db = new Database(path)
  } catch (err) {
    throw new StorageError(`cannot open database ${path}: ${(err as Error).message}`, { cause: err })
  }
  try {
    // Prompts and answers are private: a new file is readable by its owner only (-wal/-shm inherit it).
    if (isNew) chmodSync(path, 0o600)
    db.pragma('busy_timeout = 5000')
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    applyMigrations(db, migrations)
    return db
  } catch (err) {
    db.close()
    if (err instanceof StorageError) throw err
    throw new StorageError(`cannot prepare database ${path}: ${(err as Error).message}`, { cause: err })
  }
}

export function schemaVersion(db: SqliteDatabase): number {
  return db.pragma('user_version', { simple: true }) as number
}

/** Applies every migration newer than `PRAGMA user_version`, each in its own transaction. */
export function applyMigrations(db: SqliteDatabase, migrations: ReadonlyArray<Migration>): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new StorageError(`migration ${m.name} has version ${m.version}, expected ${i + 1}`)
  })
  const current = schemaVersion(db)
  const latest = migrations.length
  if (current > latest) {
    throw new StorageError(
      `database schema version ${current} is newer than this Juxta knows (${latest}); upgrade Juxta`,
    )
  }
  let applied = 0
  for (const m of migrations.slice(current)) {
    db.transaction(() => {
      db.exec(m.sql)
      db.pragma(`user_version = ${m.version}`)
    }).immediate()
    applied++
  }
  return applied
}
