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
 * so it never changes (cached for a year, privately). Its type is the one checked by content when it was
 * stored, sent with nosniff; its own CSP lets nothing run should it be opened on its own.
 */
export function imageRoutes(ctx: AppContext): Hono {
  const app = new Hono()
  app.get('/images/:sha256{[0-9a-f]{64}}', async (c) => {
    const image = ctx.store ? await ctx.store.getImage(c.req.param('sha256')) : null
    if (!image || !(IMAGE_TYPES as readonly string[]).includes(image.mime)) return c.notFound()
    return c.body(new Uint8Array(image.data), 200, {
      'Content-Type': image.mime,
      'Content-Length': String(image.data.length),
      'Cache-Control': 'private, max-age=31536000, immutable',
      'Content-Disposition': `inline; filename="image-${c.req.param('sha256').slice(0, 12)}.${EXTENSION[image.mime]}"`,
      'Content-Security-Policy': "default-src 'none'; sandbox",
      'X-Content-Type-Options': 'nosniff',
    })
  })
  return app
}
