import { Hono } from 'hono'
import { apiError } from './http/api-error.ts'
import { bodyLimits } from './http/body-limit.ts'
import type { AppContext } from './context.ts'
import { apiRoutes } from './routes/api.ts'
import { estimateRoutes } from './routes/estimate.ts'
import { runsApiRoutes, spendApiRoutes } from './routes/runs-api.ts'
import { redactSecrets } from './providers/redact.ts'
import { alreadySent, securityHeaders } from './security/headers.ts'
import { hostGuard, originGuard } from './security/request-guard.ts'
import { authGuard } from './security/auth.ts'
import { loginPageResponse, loginRoutes, offerLogout } from './routes/login.tsx'
import { settingsRoutes } from './routes/settings.tsx'
import { assetRoutes } from './routes/assets.ts'
import { pageRoutes } from './routes/pages.tsx'
import { historyPageRoutes } from './routes/history-pages.tsx'
import { runCopyRoutes } from './routes/run-copy.ts'
import { RunRegistry } from './web/run-registry.ts'
import { imageRoutes } from './routes/images.ts'
import { presetsApiRoutes } from './routes/presets-api.ts'
import { presetFormRoutes } from './routes/preset-forms.tsx'
import { answerDiffRoutes } from './routes/answer-diff.tsx'
import { arenaRoutes } from './routes/arena.tsx'
import { studiesApiRoutes } from './routes/studies-api.ts'
import { studyPageRoutes } from './routes/study-pages.tsx'
import { studyReportRoutes } from './routes/study-report.tsx'
import { NotFoundPage } from '../views/not-found-page.tsx'
import { UnavailablePage } from '../views/unavailable-page.tsx'
import { isStoreUnavailable } from './storage/unavailable.ts'
import { liveRunRoutes } from './routes/live-runs.tsx'
import { retryInBackground } from './web/column-retry.ts'

const MAX_BODY = 1024 * 1024
/** History exports are larger than any other body. */
const IMPORT_MAX_BYTES = 64 * 1024 * 1024
/** A run may carry 8 images of 5 MiB (about 56 MB as base64 data URLs), plus its prompt. */
export const COMPARE_MAX_BYTES = 64 * 1024 * 1024
/** A study carries its whole prompt set. */
export const STUDY_MAX_BYTES = 16 * 1024 * 1024

/** Builds the whole HTTP app from its dependencies; no side effects, so tests build it freely. */
export function createApp(ctx: AppContext): Hono {
  const app = new Hono()

  app.use('*', securityHeaders())
  // Pages and answers are private (runs, keys' status, history): not kept by browsers or proxies, unless a route
  // says how its response may be cached (versioned assets, content-addressed images).
  app.use('*', async (c, next) => {
    await next()
    if (!alreadySent(c.res) && !c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store')
  })
  // Before any route: DNS-rebinding Host check, CSRF Origin check, then the access token (when set).
  app.use('*', hostGuard(ctx.access.allowedHosts))
  app.use('*', originGuard())
  app.use('*', authGuard(ctx.auth, { loginPage: loginPageResponse, loggedIn: offerLogout }))
  // Every body is held to 1 MiB but history imports (whole exports) and what a run posts (its images).
  app.use(
    '*',
    bodyLimits(MAX_BODY, [
      { paths: ['/api/runs/import', '/history/import'], bytes: IMPORT_MAX_BYTES },
      // The demo simulator receives what a run sends upstream, images included.
      { paths: ['/api/compare', '/api/estimate', '/runs', '/demo/'], bytes: COMPARE_MAX_BYTES },
      { paths: ['/api/studies', '/api/studies/estimate'], bytes: STUDY_MAX_BYTES },
      // The new-study form carries its prompt file (and its estimate the same form).
      { paths: ['/studies', '/studies/estimate'], bytes: STUDY_MAX_BYTES },
    ]),
  )
  // One registry of open runs: the page and API streams fill it; the copy and diff routes read finished runs from
  // it; commands from other instances (Stop, "retry this column") act on it.
  const registry = new RunRegistry()
  ctx.live.handle((command) =>
    command.kind === 'stop'
      ? registry.stop(command.run_id)
      : retryInBackground(ctx, registry, command.run_id, command.index ?? -1),
  )
  app.route('/', liveRunRoutes(ctx))
  app.route('/api', apiRoutes(ctx, registry))
  app.route('/api', estimateRoutes(ctx))
  app.route('/api/runs', runsApiRoutes(ctx))
  app.route('/api/spend', spendApiRoutes(ctx))
  app.route('/api/presets', presetsApiRoutes(ctx))
  app.route('/api/studies', studiesApiRoutes(ctx))
  app.route('/api/studies', studyReportRoutes(ctx))
  app.route('/demo', ctx.demo)
  app.route('/', loginRoutes(ctx.auth))
  app.route('/settings', settingsRoutes(ctx))
  app.route('/', assetRoutes())
  app.route('/presets', presetFormRoutes(ctx))
  app.route('/', answerDiffRoutes(ctx, registry))
  app.route('/', arenaRoutes(ctx, registry))
  app.route('/', pageRoutes(ctx, registry))
  app.route('/', historyPageRoutes(ctx))
  app.route('/', studyPageRoutes(ctx))
  app.route('/', runCopyRoutes(ctx, registry))
  app.route('/', imageRoutes(ctx))

  app.notFound((c) => (c.req.path.startsWith('/api/') ? apiError(c, 404, 'not found') : c.html(NotFoundPage(), 404)))
  app.onError((err, c) => {
    // The database away (a restart, a cut connection): 503 with a reason, not a stack trace per request.
    if (isStoreUnavailable(err)) {
      c.header('Retry-After', '5')
      if (c.req.path.startsWith('/api/')) return apiError(c, 503, 'the database is unavailable; try again shortly')
      return c.html(UnavailablePage(), 503)
    }
    ctx.log(`error ${c.req.method} ${c.req.path}: ${redactSecrets(err.stack ?? String(err), ctx.secrets())}`)
    return apiError(c, 500, 'internal error')
  })
  return app
}
