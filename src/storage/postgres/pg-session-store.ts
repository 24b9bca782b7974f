import type { SessionRecord, SessionStore } from '../../security/session-store.ts'
import type { PgPool } from './pg-database.ts'

interface SessionRow {
  id_hash: string
  token_fp: string
  /** BIGINT: pg returns it as a string. */
  issued_at: string
  last_seen_at: string
  expires_at: string
}

/** Login sessions in PostgreSQL (table `login_sessions`): a cookie issued by one instance is valid on all. */
export class PgSessionStore implements SessionStore {
  constructor(private readonly pool: PgPool) {}

  async insert(s: SessionRecord): Promise<void> {
    await this.pool.query(
      'INSERT INTO login_sessions (id_hash, token_fp, issued_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5)',
      [s.idHash, s.tokenFingerprint, s.issuedAt, s.lastSeenAt, s.expiresAt],
    )
  }

  async find(idHash: string): Promise<SessionRecord | undefined> {
    const { rows } = await this.pool.query<SessionRow>('SELECT * FROM login_sessions WHERE id_hash = $1', [idHash])
    const row = rows[0]
    if (!row) return undefined
    return {
      idHash: row.id_hash,
      tokenFingerprint: row.token_fp,
      issuedAt: Number(row.issued_at),
      lastSeenAt: Number(row.last_seen_at),
      expiresAt: Number(row.expires_at),
    }
  }

  async touch(idHash: string, lastSeenAt: number, expiresAt: number): Promise<void> {
    await this.pool.query('UPDATE login_sessions SET last_seen_at = $1, expires_at = $2 WHERE id_hash = $3', [
      lastSeenAt,
      expiresAt,
      idHash,
    ])
  }

  async delete(idHash: string): Promise<boolean> {
    const result = await this.pool.query('DELETE FROM login_sessions WHERE id_hash = $1', [idHash])
    return (result.rowCount ?? 0) > 0
  }

  async prune(now: number, tokenFingerprint: string): Promise<number> {
    const result = await this.pool.query('DELETE FROM login_sessions WHERE expires_at <= $1 OR token_fp <> $2', [
      now,
      tokenFingerprint,
    ])
    return result.rowCount ?? 0
  }
}
