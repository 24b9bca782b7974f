import type Database from 'better-sqlite3'
import type { SqliteDatabase } from './database.ts'

type Statement = Database.Statement<unknown[]>

const MAX_CACHED = 256

/** Prepared statements by SQL text: filters build a handful of shapes, each prepared once. */
export class StatementCache {
  private readonly cache = new Map<string, Statement>()

  constructor(readonly db: SqliteDatabase) {}

  get(sql: string): Statement {
    let statement = this.cache.get(sql)
    if (!statement) {
      if (this.cache.size >= MAX_CACHED) this.cache.clear()
      statement = this.db.prepare(sql)
      this.cache.set(sql, statement)
    }
    return statement
  }
}
