import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { errorFor } from './api-error.ts'

const MiB = 1024 * 1024
const describe = (bytes: number) => (bytes % MiB === 0 ? `${bytes} bytes (${bytes / MiB} MiB)` : `${bytes} bytes`)

/**
 * Refuses a body over `maxBytes` with 413 (JSON under /api/, text elsewhere) before a handler reads it. The unread
 * rest of the body leaves the connection unusable: without `Connection: close` the client reuses it and its next
 * request fails with "other side closed".
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => {
      c.header('Connection', 'close')
      return errorFor(c, 413, `request body over ${describe(maxBytes)}`)
    },
  })
}

/** Paths that take a limit other than the default: exact paths, or prefixes ending in `/`. */
export interface BodyLimitRule {
  paths: string[]
  bytes: number
}

/**
 * One middleware for every body limit: the first rule naming the request's path sets it, else `defaultBytes`.
 * A request without a body passes whatever the limit.
 */
export function bodyLimits(defaultBytes: number, rules: BodyLimitRule[]): MiddlewareHandler {
  const byBytes = new Map<number, MiddlewareHandler>()
  const limiter = (bytes: number) => {
    let handler = byBytes.get(bytes)
    if (!handler) {
      handler = limitBody(bytes)
      byBytes.set(bytes, handler)
    }
    return handler
  }
  const matches = (path: string, rule: BodyLimitRule) =>
    rule.paths.some((p) => (p.endsWith('/') ? path.startsWith(p) : path === p))
  return (c, next) => {
    const method = c.req.method
    // No body to hold back (hono's bodyLimit passes these too). Checked without `c.req.raw.body`: on the Node
    // server that builds a whole web Request and its stream per request, which the handler's `json()` then
    // reads through instead of the socket's buffer (`npm run bench`, CPU per request).
    if (method === 'GET' || method === 'HEAD') return next()
    const bytes = rules.find((r) => matches(c.req.path, r))?.bytes ?? defaultBytes
    const length = c.req.header('content-length')
    // A declared length is all there is to check; a chunked body is counted as it is read (hono's bodyLimit).
    if (length !== undefined && c.req.header('transfer-encoding') === undefined && /^\d+$/.test(length)) {
      return Number(length) > bytes ? limiter(bytes)(c, next) : next()
    }
    return limiter(bytes)(c, next)
  }
}
