import type { MiddlewareHandler } from 'hono'

/**
 * Strict headers on every response. Only our own scripts and styles run; model output can neither load
 * remote images (a data-exfiltration channel) nor be framed, nor submit forms elsewhere.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  // Thumbnails come from GET /images/:sha256 ('self'); data: only for the compare form's previews of images
  // being attached (read in the page, never fetched). No remote image, ever.
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ')

const HEADERS: ReadonlyArray<[string, string]> = [
  ['Content-Security-Policy', CONTENT_SECURITY_POLICY],
  ['X-Content-Type-Options', 'nosniff'],
  ['Referrer-Policy', 'no-referrer'],
  ['X-Frame-Options', 'DENY'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()'],
]

export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    // Set before the handler: responses made through `c` take them at no cost. Setting them afterwards
    // copies the finished Response once per header, on every request's critical path.
    for (const [name, value] of HEADERS) c.header(name, value)
    await next()
    // A handler that wrote the response itself (RESPONSE_ALREADY_SENT) sent them with it; touching `c.res` now
    // would make Hono copy it and @hono/node-server send that copy again.
    if (alreadySent(c.res)) return
    // A handler that returned its own Response (streams, downloads) bypassed them: add them now.
    if (!c.res.headers.has('Content-Security-Policy')) for (const [name, value] of HEADERS) c.header(name, value)
  }
}

/** The response was written straight to the Node socket (`RESPONSE_ALREADY_SENT` of `@hono/node-server`). */
export function alreadySent(res: Response): boolean {
  return res.headers.get('x-hono-already-sent') === 'true'
}
