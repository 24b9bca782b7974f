import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { AppContext } from './context.ts'
import { apiRoutes } from './routes/api.ts'
import { estimateRoutes } from './routes/estimate.ts'
import { redactSecrets } from './providers/redact.ts'
import { securityHeaders } from './security/headers.ts'
import { assetRoutes } from './routes/assets.ts'
import { pageRoutes } from './routes/pages.tsx'

const MAX_BODY = 1024 * 1024

/** Builds the whole HTTP app from its dependencies; no side effects, so tests build it freely. */
export function createApp(ctx: AppContext): Hono {
  const app = new Hono()
  const secrets = () => ctx.catalog().providers.map((p) => p.apiKey)

  app.use('*', securityHeaders())
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: MAX_BODY,
      onError: (c) => c.json({ error: { message: `request body over ${MAX_BODY} bytes`, issues: [] } }, 413),
    }),
  )
  app.route('/api', apiRoutes(ctx))
  app.route('/api', estimateRoutes(ctx))
  app.route('/demo', ctx.demo)
  const formLimit = bodyLimit({ maxSize: MAX_BODY, onError: (c) => c.text(`request body over ${MAX_BODY} bytes`, 413) })
  app.use('/runs', formLimit)
  app.use('/runs/*', formLimit)
  app.route('/', assetRoutes())
  app.route('/', pageRoutes(ctx))

  app.notFound((c) => c.json({ error: { message: 'not found', issues: [] } }, 404))
  app.onError((err, c) => {
    ctx.log(`error ${c.req.method} ${c.req.path}: ${redactSecrets(err.stack ?? String(err), secrets())}`)
    return c.json({ error: { message: 'internal error', issues: [] } }, 500)
  })
  return app
}
