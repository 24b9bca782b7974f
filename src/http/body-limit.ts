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
