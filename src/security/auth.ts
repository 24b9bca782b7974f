import { createHmac, timingSafeEqual } from 'node:crypto'
import type { Context, MiddlewareHandler } from 'hono'
import { getCookie } from 'hono/cookie'

export const AUTH_COOKIE = 'juxta_auth'
export const MIN_TOKEN_LENGTH = 32

/** Paths reachable without the token: the login form and the static files it needs. */
const OPEN_PATHS = [/^\/login$/, /^\/assets\//, /^\/vendor\//]

/** Fixed-length digests, so timingSafeEqual never sees different lengths and the length is not leaked. */
const digest = (text: string) => createHmac('sha256', 'juxta-auth-compare').update(text, 'utf8').digest()

export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected))
}

/**
 * The cookie holds a value derived from the token, not the token: reading the cookie store does not reveal
 * the token for `Authorization: Bearer`. Changing JUXTA_AUTH_TOKEN invalidates every cookie.
 */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('juxta-session-v1').digest('base64url')
}

/** Whether a request carries the token, as a bearer header or as the login cookie. */
export function isAuthenticated(c: Context, token: string): boolean {
  const header = c.req.header('authorization')
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
    return match !== null && sameSecret(match[1]!, token)
  }
  const cookie = getCookie(c, AUTH_COOKIE)
  return cookie !== undefined && sameSecret(cookie, sessionValue(token))
}

/**
 * With JUXTA_AUTH_TOKEN set, every request needs it. Browsers get a 401 login page for navigations; API and
 * htmx requests get a plain 401. Without a token (loopback only, see access-env.ts) this does nothing.
 */
export function authGuard(token: string | undefined, loginPage: (c: Context) => Response | Promise<Response>): MiddlewareHandler {
  return async (c, next) => {
    if (!token || OPEN_PATHS.some((p) => p.test(c.req.path)) || isAuthenticated(c, token)) return next()
    c.header('Cache-Control', 'no-store')
    c.header('WWW-Authenticate', 'Bearer realm="juxta"')
    const navigation = c.req.method === 'GET' && !c.req.header('hx-request') && (c.req.header('accept') ?? '').includes('text/html')
    if (navigation) return loginPage(c)
    return c.req.path.startsWith('/api/')
      ? c.json({ error: { message: 'authentication required: send Authorization: Bearer <JUXTA_AUTH_TOKEN>', issues: [] } }, 401)
      : c.text('authentication required; reload the page to log in', 401)
  }
}
