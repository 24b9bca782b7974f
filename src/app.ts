import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { AppContext } from './context.ts'
import { apiRoutes } from './routes/api.ts'
import { estimateRoutes } from './routes/estimate.ts'
import { runsApiRoutes, spendApiRoutes } from './routes/runs-api.ts'
import { redactSecrets } from './providers/redact.ts'
import { securityHeaders } from './security/headers.ts'
import { hostGuard, originGuard } from './security/request-guard.ts'
import { authGuard } from './security/auth.ts'
import { loginPageResponse, loginRoutes } from './routes/login.tsx'
import { settingsRoutes } from './routes/settings.tsx'
import { assetRoutes } from './routes/assets.ts'
import { pageRoutes } from './routes/pages.tsx'
import { historyPageRoutes } from './routes/history-pages.tsx'
import { NotFoundPage } from '../views/not-found-page.tsx'

const MAX_BODY = 1024 * 1024
/** History exports are larger than any other body. */
const IMPORT_MAX_BYTES = 64 * 1024 * 1024

/** Builds the whole HTTP app from its dependencies; no side effects, so tests build it freely. */
export function createApp(ctx: AppContext): Hono {
  const app = new Hono()

  app.use('*', securityHeaders())
  // Before any route: DNS-rebinding Host check, CSRF Origin check, then the access token (when set).
  app.use('*', hostGuard(ctx.access.allowedHosts))
  app.use('*', originGuard())
  app.use('*', authGuard(ctx.access.authToken, loginPageResponse))
  const apiLimit = bodyLimit({
    maxSize: MAX_BODY,
    // The unread rest of the body leaves the connection unusable: without `close` the client reuses it and
    // its next request fails with "other side closed".
    onError: (c) => {
      c.header('Connection', 'close')
      return c.json({ error: { message: `request body over ${MAX_BODY} bytes`, issues: [] } }, 413)
    },
  })
  // History imports carry whole exports; that route sets its own, larger limit.
  app.use('/api/*', (c, next) => (c.req.path === '/api/runs/import' ? next() : apiLimit(c, next)))
  app.route('/api', apiRoutes(ctx))
  app.route('/api', estimateRoutes(ctx))
  app.route('/api/runs', runsApiRoutes(ctx))
  app.route('/api/spend', spendApiRoutes(ctx))
  const formLimit = bodyLimit({
    maxSize: MAX_BODY,
    onError: (c) => {
      // The rest of the body was never read: the connection cannot carry another request.
      c.header('Connection', 'close')
      return c.text(`request body over ${MAX_BODY} bytes`, 413)
    },
  })
  app.use('/estimate', formLimit)
  app.use('/demo/*', formLimit)
  app.use('/history/import', bodyLimit({
    maxSize: IMPORT_MAX_BYTES,
    onError: (c) => {
      c.header('Connection', 'close')
      return c.text(`import over ${IMPORT_MAX_BYTES / 1024 / 1024} MiB`, 413)
    },
  }))
  app.use('/runs', formLimit)
  app.use('/runs/*', formLimit)
  app.use('/targets/*', formLimit)
  app.use('/settings/*', formLimit)
  app.use('/login', formLimit)
  app.route('/demo', ctx.demo)
  app.route('/', loginRoutes(ctx.access.authToken))
  app.route('/settings', settingsRoutes(ctx))
  app.route('/', assetRoutes())
  app.route('/', pageRoutes(ctx))
  app.route('/', historyPageRoutes(ctx))

  app.notFound((c) =>
    c.req.path.startsWith('/api/') ? c.json({ error: { message: 'not found', issues: [] } }, 404) : c.html(NotFoundPage(), 404),
  )
  app.onError((err, c) => {
    ctx.log(`error ${c.req.method} ${c.req.path}: ${redactSecrets(err.stack ?? String(err), ctx.secrets())}`)
    return c.json({ error: { message: 'internal error', issues: [] } }, 500)
  })
  return app
}
