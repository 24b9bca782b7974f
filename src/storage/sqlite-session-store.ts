import type Database from 'better-sqlite3'
import type { SessionRecord, SessionStore } from '../security/session-store.ts'
import type { SqliteDatabase } from './database.ts'

type Statement = Database.Statement<unknown[]>

interface SessionRow {
  id_hash: string
  token_fp: string
  issued_at: number
  last_seen_at: number
  expires_at: number
}

/** Login sessions in the history database (table `login_sessions`), so a restart does not log anyone out. */
export class SqliteSessionStore implements SessionStore {
  private readonly insertStmt: Statement
  private readonly findStmt: Statement
  private readonly touchStmt: Statement
  private readonly deleteStmt: Statement
  private readonly pruneStmt: Statement

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare(
      'INSERT INTO login_sessions (id_hash, token_fp, issued_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?)',
    )
    this.findStmt = db.prepare('SELECT * FROM login_sessions WHERE id_hash = ?')
    this.touchStmt = db.prepare('UPDATE login_sessions SET last_seen_at = ?, expires_at = ? WHERE id_hash = ?')
    this.deleteStmt = db.prepare('DELETE FROM login_sessions WHERE id_hash = ?')
    this.pruneStmt = db.prepare('DELETE FROM login_sessions WHERE expires_at <= ? OR token_fp <> ?')
  }

  async insert(s: SessionRecord): Promise<void> {
    this.insertStmt.run(s.idHash, s.tokenFingerprint, s.issuedAt, s.lastSeenAt, s.expiresAt)
  }

  async find(idHash: string): Promise<SessionRecord | undefined> {
    const row = this.findStmt.get(idHash) as SessionRow | undefined
    if (!row) return undefined
    return {
      idHash: row.id_hash,
      tokenFingerprint: row.token_fp,
      issuedAt: row.issued_at,
      lastSeenAt: row.last_seen_at,
      expiresAt: row.expires_at,
    }
  }

  async touch(idHash: string, lastSeenAt: number, expiresAt: number): Promise<void> {
    this.touchStmt.run(lastSeenAt, expiresAt, idHash)
  }

  async delete(idHash: string): Promise<boolean> {
    return this.deleteStmt.run(idHash).changes > 0
  }

  async prune(now: number, tokenFingerprint: string): Promise<number> {
    return this.pruneStmt.run(now, tokenFingerprint).changes
  }
}
