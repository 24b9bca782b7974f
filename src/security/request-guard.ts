import type { Context, MiddlewareHandler } from 'hono'
import { errorFor } from '../http/api-error.ts'
import { parseIPv4, parseIPv6 } from './ip-address.ts'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

function refuse(c: Context, message: string): Response {
  c.header('Cache-Control', 'no-store')
  return errorFor(c, 403, message)
}

/**
 * The Host header; without one (HTTP/1.0, or `app.request()` in tests) the host the URL was built with.
 * Browsers always send Host, so the fallback opens nothing to a rebinding page.
 */
function requestHost(c: Context): string {
  return (c.req.header('host') ?? new URL(c.req.url).host).toLowerCase()
}

/** `host[:port]` → lower-case host without port or trailing dot; IPv6 keeps its brackets. */
export function hostnameOf(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase()
  const end = h.startsWith('[') ? h.indexOf(']') + 1 : h.lastIndexOf(':') >= 0 ? h.lastIndexOf(':') : h.length
  return (end > 0 ? h.slice(0, end) : h).replace(/\.$/, '')
}

/**
 * Rejects requests whose Host header names a host this server does not answer to. A DNS-rebinding page
 * reaches 127.0.0.1 under its own name (`evil.example`), which is exactly what this refuses. IP literals are
 * fine: a page served from an IP address is same-origin with that address anyway, so there is nothing to
 * rebind; names must be localhost, the HOST Juxta binds to, or listed in JUXTA_ALLOWED_HOSTS.
 */
export function hostGuard(allowedNames: ReadonlyArray<string>): MiddlewareHandler {
  const names = new Set(['localhost', ...allowedNames.map((n) => n.toLowerCase().replace(/\.$/, ''))])
  return async (c, next) => {
    const host = hostnameOf(requestHost(c))
    const literal = parseIPv4(host) !== undefined || (host.startsWith('[') && parseIPv6(host) !== undefined)
    if (!literal && !names.has(host))
      return refuse(
        c,
        `unknown host "${host.slice(0, 100)}"; add it to JUXTA_ALLOWED_HOSTS if Juxta is served under that name`,
      )
    await next()
  }
}

/**
 * CSRF: a state-changing request must come from a page of this server. Browsers send `Origin` on every
 * cross-origin POST/PUT/PATCH/DELETE (and on same-origin ones from fetch), and `Sec-Fetch-Site` on all of them;
 * both are checked. Under `Referrer-Policy: no-referrer` a plain form POST carries `Origin: null`; that is
 * accepted only with `Sec-Fetch-Site: same-origin`, which pages cannot forge (a sandboxed frame's opaque
 * origin is cross-site). A request carrying neither header comes from a non-browser client, which a web page
 * cannot drive. Unlike hono's csrf(), JSON and other content types are checked too.
 */
export function originGuard(): MiddlewareHandler {
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next()
    const origin = c.req.header('origin')
    const site = c.req.header('sec-fetch-site')
    if (site !== undefined && site !== 'same-origin' && site !== 'none') return refuse(c, 'cross-site request refused')
    if (origin !== undefined) {
      let originHost: string | undefined
      try {
        originHost = origin === 'null' ? undefined : new URL(origin).host
      } catch {
        originHost = undefined
      }
      const opaqueButSameOrigin = origin === 'null' && site === 'same-origin'
      if (!opaqueButSameOrigin && originHost !== requestHost(c)) return refuse(c, 'cross-origin request refused')
    }
    await next()
  }
}
