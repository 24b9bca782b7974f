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
  return (c, next) => limiter(rules.find((r) => matches(c.req.path, r))?.bytes ?? defaultBytes)(c, next)
}
