import { createHash, randomBytes, scryptSync } from 'node:crypto'
import type { SessionStore } from './session-store.ts'

const HOUR = 3600_000
export const SESSION_IDLE_MS = 12 * HOUR
export const SESSION_ABSOLUTE_MS = 30 * 24 * HOUR
/** Last-seen is written at most this often: not one database write per request. */
const TOUCH_EVERY_MS = 60_000
const ID_BYTES = 32
const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/

export interface SessionOptions {
  store: SessionStore
  token: string
  now: () => number
  idleMs?: number
  absoluteMs?: number
  /** Where a failed start-up prune is reported. */
  log?: (line: string) => void
}

const hashId = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex')

/**
 * A fingerprint of the token, stored with each session so a new JUXTA_AUTH_TOKEN voids them all. scrypt
 * (once per start) rather than a fast hash: a copy of the database must not make guessing the token cheap.
 */
export function tokenFingerprint(token: string): string {
  return scryptSync(token, 'juxta-session-token-fingerprint-v1', 32).toString('hex')
}

/**
 * Login sessions. The cookie holds 32 random bytes; the server keeps only their SHA-256 with the issue,
 * last-seen and expiry times, so a copy of the store cannot be replayed as a cookie. A session ends after
 * `idleMs` unused (12 h), `absoluteMs` after login whatever happens (30 days), at logout, or when the token
 * changes.
 */
export class Sessions {
  private readonly fingerprint: string
  private readonly idleMs: number
  private readonly absoluteMs: number

  constructor(private readonly options: SessionOptions) {
    this.fingerprint = tokenFingerprint(options.token)
    this.idleMs = options.idleMs ?? SESSION_IDLE_MS
    this.absoluteMs = options.absoluteMs ?? SESSION_ABSOLUTE_MS
    // Not awaited: a constructor cannot, and a prune that fails (database away) is redone at the next login.
    options.store.prune(options.now(), this.fingerprint).catch((err: Error) => {
      options.log?.(`auth: could not prune login sessions (${err.message})`)
    })
  }

  /** Seconds the cookie may live in the browser: the absolute limit (the server enforces the idle one). */
  get cookieMaxAgeS(): number {
    return Math.floor(this.absoluteMs / 1000)
  }

  /** A new session; the returned cookie value exists nowhere else. */
  async start(): Promise<string> {
    const now = this.options.now()
    await this.options.store.prune(now, this.fingerprint)
    const value = randomBytes(ID_BYTES).toString('base64url')
    await this.options.store.insert({
      idHash: hashId(value),
      tokenFingerprint: this.fingerprint,
      issuedAt: now,
      lastSeenAt: now,
      expiresAt: Math.min(now + this.idleMs, now + this.absoluteMs),
    })
    return value
  }

  /** Whether a cookie value names a live session of the current token; keeps it alive. */
  async check(value: string | undefined): Promise<boolean> {
    if (value === undefined || !COOKIE_VALUE.test(value)) return false
    const idHash = hashId(value)
    const session = await this.options.store.find(idHash)
    if (!session) return false
    const now = this.options.now()
    // Not secret-dependent timing: the lookup above already needed the right cookie.
    const sameToken = session.tokenFingerprint === this.fingerprint
    if (!sameToken || session.expiresAt <= now || session.issuedAt + this.absoluteMs <= now) {
      await this.options.store.delete(idHash)
      return false
    }
    if (now - session.lastSeenAt >= TOUCH_EVERY_MS) {
      await this.options.store.touch(idHash, now, Math.min(now + this.idleMs, session.issuedAt + this.absoluteMs))
    }
    return true
  }

  /** Logout: whether a session ended. It is gone from the server, so even a copied cookie is worthless. */
  async end(value: string | undefined): Promise<boolean> {
    return value !== undefined && COOKIE_VALUE.test(value) && (await this.options.store.delete(hashId(value)))
  }
}
