import { createHmac, timingSafeEqual } from 'node:crypto'
import type { Context, MiddlewareHandler } from 'hono'
import { getCookie } from 'hono/cookie'
import { type LoginThrottle, MemoryLoginThrottle } from './login-throttle.ts'
import { requestClient, type RequestClient } from './request-client.ts'
import type { SessionStore } from './session-store.ts'
import { Sessions } from './sessions.ts'
import { apiError, errorFor } from '../http/api-error.ts'

export const AUTH_COOKIE = 'juxta_auth'
export const MIN_TOKEN_LENGTH = 32

/** Paths reachable without the token: login, logout, and the static files the login page needs. */
const OPEN_PATHS = [/^\/login$/, /^\/logout$/, /^\/assets\//, /^\/vendor\//]

/** Fixed-length digests, so timingSafeEqual never sees different lengths and the length is not leaked. */
const digest = (text: string) => createHmac('sha256', 'juxta-auth-compare').update(text, 'utf8').digest()

export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected))
}

export interface AuthOptions {
  /** JUXTA_AUTH_TOKEN; without it there is no login at all (loopback only, see access-env.ts). */
  token?: string
  /** JUXTA_TRUST_PROXY: take the client address and scheme from X-Forwarded-For / -Proto. */
  trustProxy?: boolean
  sessionStore: SessionStore
  /** Default: in memory, per instance. Several instances share a Redis-backed one (RedisLoginThrottle). */
  throttle?: LoginThrottle
  now: () => number
  log: (line: string) => void
}

export type TokenAttempt = { outcome: 'ok' } | { outcome: 'wrong' } | { outcome: 'throttled'; retryAfterS: number }

/** The token, the login sessions it issued and the guessing throttle: everything the login checks need. */
export class Auth {
  readonly token: string | undefined
  readonly trustProxy: boolean
  /** Undefined without a token. */
  readonly sessions: Sessions | undefined
  readonly throttle: LoginThrottle

  constructor(readonly options: AuthOptions) {
    this.token = options.token || undefined
    this.trustProxy = options.trustProxy ?? false
    this.sessions = this.token
      ? new Sessions({ store: options.sessionStore, token: this.token, now: options.now, log: options.log })
      : undefined
    this.throttle = options.throttle ?? new MemoryLoginThrottle({ now: options.now, log: options.log })
  }

  client(c: Context): RequestClient {
    return requestClient(c, this.trustProxy)
  }

  /** A token a client presents (login form or bearer header); refused unchecked while the client is blocked. */
  async tryToken(client: RequestClient, given: string, via: 'login form' | 'bearer header'): Promise<TokenAttempt> {
    if (!this.token) return { outcome: 'wrong' }
    const check = await this.throttle.check(client.key)
    if (check.blocked) return { outcome: 'throttled', retryAfterS: check.retryAfterS }
    if (sameSecret(given, this.token)) {
      await this.throttle.success(client.key)
      return { outcome: 'ok' }
    }
    const after = await this.throttle.failure(client.key, { via, address: client.address })
    return after.blocked ? { outcome: 'throttled', retryAfterS: after.retryAfterS } : { outcome: 'wrong' }
  }
}

export interface GuardPages {
  /** The 401 page a browser navigation gets. */
  loginPage: (c: Context) => Response | Promise<Response>
  /** Called for a request that carries a live login session (pages then offer "Log out"). */
  loggedIn: (c: Context) => void
}

/**
 * With JUXTA_AUTH_TOKEN set, every request needs it: `Authorization: Bearer <token>` (checked and throttled
 * per client) or a live session cookie. Browsers get a 401 login page for navigations; API and htmx requests
 * get a plain 401, or 429 with Retry-After while their client is blocked. Without a token this does nothing.
 */
export function authGuard(auth: Auth, pages: GuardPages): MiddlewareHandler {
  return async (c, next) => {
    if (!auth.token || OPEN_PATHS.some((p) => p.test(c.req.path))) return next()
    const header = c.req.header('authorization')
    if (header !== undefined) {
      const given = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? ''
      const attempt = await auth.tryToken(auth.client(c), given, 'bearer header')
      if (attempt.outcome === 'ok') return next()
      if (attempt.outcome === 'throttled') return tooManyAttempts(c, attempt.retryAfterS)
      return unauthorized(c)
    }
    let live: boolean | undefined
    try {
      live = await auth.sessions?.check(getCookie(c, AUTH_COOKIE))
    } catch {
      // Sessions kept in a database that is away: say so rather than send the person to log in again.
      return sessionsUnavailable(c)
    }
    if (live) {
      pages.loggedIn(c)
      return next()
    }
    const navigation =
      c.req.method === 'GET' && !c.req.header('hx-request') && (c.req.header('accept') ?? '').includes('text/html')
    if (navigation) {
      c.header('Cache-Control', 'no-store')
      c.header('WWW-Authenticate', 'Bearer realm="juxta"')
      return pages.loginPage(c)
    }
    return unauthorized(c)
  }
}

function unauthorized(c: Context): Response {
  c.header('Cache-Control', 'no-store')
  c.header('WWW-Authenticate', 'Bearer realm="juxta"')
  const message = 'authentication required: send Authorization: Bearer <JUXTA_AUTH_TOKEN>'
  return c.req.path.startsWith('/api/')
    ? apiError(c, 401, message)
    : c.text('authentication required; reload the page to log in', 401)
}

export function tooManyAttempts(c: Context, retryAfterS: number): Response {
  c.header('Cache-Control', 'no-store')
  c.header('Retry-After', String(retryAfterS))
  const message = `too many wrong tokens from this address; try again in ${retryAfterS} s`
  return errorFor(c, 429, message)
}

/** The session store (a database) did not answer: a 503 that says what to do. */
export function sessionsUnavailable(c: Context): Response {
  c.header('Cache-Control', 'no-store')
  c.header('Retry-After', '5')
  return errorFor(c, 503, 'login sessions are unavailable (the database does not answer); try again shortly')
}
