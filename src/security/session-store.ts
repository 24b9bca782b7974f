/** One login session as the server keeps it: never the cookie value itself. */
export interface SessionRecord {
  /** SHA-256 of the cookie value (hex). */
  idHash: string
  /** Which JUXTA_AUTH_TOKEN issued it (a slow hash of the token): sessions of another token are void. */
  tokenFingerprint: string
  /** Milliseconds since the epoch. */
  issuedAt: number
  lastSeenAt: number
  /** When it ends unless used again: the idle limit from last-seen, capped by the absolute limit from issue. */
  expiresAt: number
}

/**
 * Where sessions live: in memory (they end with the process), in the SQLite history database, or in PostgreSQL
 * (shared by every instance). Async, so one contract covers a local file and a server.
 */
export interface SessionStore {
  insert(session: SessionRecord): Promise<void>
  find(idHash: string): Promise<SessionRecord | undefined>
  touch(idHash: string, lastSeenAt: number, expiresAt: number): Promise<void>
  /** Whether there was such a session. */
  delete(idHash: string): Promise<boolean>
  /** Deletes expired sessions and those another token issued; returns how many went. */
  prune(now: number, tokenFingerprint: string): Promise<number>
}

export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, SessionRecord>()

  async insert(session: SessionRecord): Promise<void> {
    // As the databases' primary key: an id is never silently reused.
    if (this.sessions.has(session.idHash)) throw new Error('a session with this id exists')
    this.sessions.set(session.idHash, { ...session })
  }

  async find(idHash: string): Promise<SessionRecord | undefined> {
    const s = this.sessions.get(idHash)
    return s ? { ...s } : undefined
  }

  async touch(idHash: string, lastSeenAt: number, expiresAt: number): Promise<void> {
    const s = this.sessions.get(idHash)
    if (s) Object.assign(s, { lastSeenAt, expiresAt })
  }

  async delete(idHash: string): Promise<boolean> {
    return this.sessions.delete(idHash)
  }

  async prune(now: number, tokenFingerprint: string): Promise<number> {
    let n = 0
    for (const [id, s] of this.sessions) {
      if (s.expiresAt <= now || s.tokenFingerprint !== tokenFingerprint) {
        this.sessions.delete(id)
        n++
      }
    }
    return n
  }
}
