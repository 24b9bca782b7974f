import { Hono } from 'hono'
import type { AppContext } from '../context.ts'
import { IMAGE_TYPES } from '../images/image-data.ts'

const EXTENSION: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
}

/**
 * GET /images/:sha256: a stored prompt image, for thumbnails in history and on run pages. Content-addressed,
 * so its hash is its ETag: the browser asks again each time (`no-cache`, answered 304 without the bytes), and an
 * image is not shown from the cache to whoever uses the browser after a logout. Its type is the one checked by
 * content when it was stored, sent with nosniff; its own CSP lets nothing run should it be opened on its own.
 */
export function imageRoutes(ctx: AppContext): Hono {
  const app = new Hono()
  app.get('/images/:sha256{[0-9a-f]{64}}', async (c) => {
    const sha256 = c.req.param('sha256')
    const image = ctx.store ? await ctx.store.getImage(sha256) : null
    if (!image || !(IMAGE_TYPES as readonly string[]).includes(image.mime)) return c.notFound()
    const etag = `"${sha256}"`
    const cache = { ETag: etag, 'Cache-Control': 'private, no-cache' }
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, cache)
    return c.body(new Uint8Array(image.data), 200, {
      ...cache,
      'Content-Type': image.mime,
      'Content-Length': String(image.data.length),
      'Content-Disposition': `inline; filename="image-${c.req.param('sha256').slice(0, 12)}.${EXTENSION[image.mime]}"`,
      'Content-Security-Policy': "default-src 'none'; sandbox",
      'X-Content-Type-Options': 'nosniff',
    })
  })
  return app
}
