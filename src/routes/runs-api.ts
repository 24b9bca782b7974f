import { Hono } from 'hono'
import type { z } from 'zod'
import type { AppContext } from '../context.ts'
import { exportCsvChunks } from '../storage/csv.ts'
import { RunIdSchema, exportJsonChunks } from '../storage/export-format.ts'
import { importExport } from '../storage/import-runs.ts'
import { formatPath } from '../config/load.ts'
import { queryObject, runFilterQuerySchema, runListQuerySchema, spendQuerySchema } from '../storage/run-query.ts'
import type { StoredRun } from '../storage/types.ts'
import { issuesOf } from './compare-input.ts'
import { type ApiErrorBody, apiErrorBody } from '../http/api-error.ts'

const MAX_ISSUES = 50

type Failure = ApiErrorBody
const failure = apiErrorBody

/** History JSON API, mounted at /api/runs: list, read, delete, export and import runs. */
export function runsApiRoutes(ctx: AppContext): Hono {
  const app = new Hono()
  const store = ctx.store
  if (!store) {
    app.all('*', (c) => c.json(failure('history is not enabled on this server'), 503))
    return app
  }
  app.use('*', async (c, next) => {
    await next()
    c.header('cache-control', 'no-store')
  })

  app.get('/', async (c) => {
    const q = parse(runListQuerySchema, queryObject(c.req.queries()))
    if (!q.ok) return c.json(q.failure, 422)
    return c.json(await store.listRuns(q.value))
  })

  app.get('/export.json', async (c) => {
    const q = parse(runFilterQuerySchema, queryObject(c.req.queries()))
    if (!q.ok) return c.json(q.failure, 422)
    // The history export carries the presets too (export version 2); one run's export, or a history without
    // presets, stays version 1 so older Juxtas still read it.
    const presets = (await ctx.presets?.exportPresets()) ?? []
    const chunks = exportJsonChunks(store.exportRuns(q.value), {
      images: (h) => store.getImage(h),
      ...(presets.length > 0 ? { presets } : {}),
    })
    return download(ctx, chunks, `juxta-runs-${stamp()}.json`)
  })

  app.get('/export.csv', (c) => {
    const q = parse(runFilterQuerySchema, queryObject(c.req.queries()))
    if (!q.ok) return c.json(q.failure, 422)
    return download(ctx, exportCsvChunks(store.exportRuns(q.value)), `juxta-runs-${stamp()}.csv`)
  })

  // The body limit for imports (larger than any other) is set in app.ts with the others.
  app.post('/import', async (c) => {
    let raw: unknown
    try {
      raw = await c.req.json()
    } catch {
      return c.json(failure('request body must be JSON'), 400)
    }
    const result = await importExport(store, raw, ctx.secrets(), { presets: ctx.presets })
    if (!result.ok) {
      const issues = result.issues.slice(0, MAX_ISSUES).map((i) => ({ path: formatPath(i.path), message: i.message }))
      return c.json(failure('not a Juxta runs export', issues), 422)
    }
    return c.json(result.outcome)
  })

  app.get('/:id', async (c) => {
    const id = runId(c.req.param('id'))
    if (!id.ok) return c.json(id.failure, 422)
    const run = await store.getRun(id.value)
    return run ? c.json(run) : c.json(failure('run not found'), 404)
  })

  app.delete('/:id', async (c) => {
    const id = runId(c.req.param('id'))
    if (!id.ok) return c.json(id.failure, 422)
    const outcome = await store.deleteRun(id.value)
    if (outcome.status === 'not-found') return c.json(failure('run not found'), 404)
    if (outcome.status === 'running') {
      return c.json(failure('the run or one of its follow-ups is still running; try again when it has ended'), 409)
    }
    return c.json({ deleted: outcome.run_ids })
  })

  for (const format of ['json', 'csv'] as const) {
    app.get(`/:id/export.${format}`, async (c) => {
      const id = runId(c.req.param('id'))
      if (!id.ok) return c.json(id.failure, 422)
      const detail = await store.getRun(id.value)
      if (!detail) return c.json(failure('run not found'), 404)
      const { parent: _parent, children: _children, ...run } = detail
      const one = single(run)
      const chunks =
        format === 'json' ? exportJsonChunks(one, { images: (h) => store.getImage(h) }) : exportCsvChunks(one)
      return download(ctx, chunks, `juxta-run-${run.run_id}.${format}`)
    })
  }

  return app
}

/** Spend overview, mounted at /api/spend. */
export function spendApiRoutes(ctx: AppContext): Hono {
  const app = new Hono()
  const store = ctx.store
  app.get('/', async (c) => {
    if (!store) return c.json(failure('history is not enabled on this server'), 503)
    const q = parse(spendQuerySchema, queryObject(c.req.queries()))
    if (!q.ok) return c.json(q.failure, 422)
    c.header('cache-control', 'no-store')
    return c.json(await store.spend(q.value))
  })
  return app
}

type Parsed<T> = { ok: true; value: T } | { ok: false; failure: Failure }

function parse<S extends z.ZodType>(schema: S, input: unknown): Parsed<z.output<S>> {
  const result = schema.safeParse(input)
  if (result.success) return { ok: true, value: result.data }
  return { ok: false, failure: failure('invalid request', issuesOf(result.error).slice(0, MAX_ISSUES)) }
}

function runId(raw: string): Parsed<string> {
  const parsed = parse(RunIdSchema, raw)
  if (parsed.ok) return parsed
  return {
    ok: false,
    failure: failure(
      'invalid run id',
      parsed.failure.error.issues.map((i) => ({ ...i, path: 'id' })),
    ),
  }
}

async function* single(run: StoredRun): AsyncGenerator<StoredRun> {
  yield run
}

/** Streams an export as a file download; an error mid-way is logged and cuts the download short. */
function download(ctx: AppContext, chunks: AsyncGenerator<string>, filename: string): Response {
  const encoder = new TextEncoder()
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await chunks.next()
        if (next.done) controller.close()
        else controller.enqueue(encoder.encode(next.value))
      } catch (err) {
        ctx.log(`history: export failed: ${err instanceof Error ? err.message : String(err)}`)
        controller.error(err)
      }
    },
    async cancel() {
      await chunks.return(undefined)
    },
  })
  const type = filename.endsWith('.csv') ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8'
  return new Response(body, {
    headers: {
      'content-type': type,
      'content-disposition': `attachment; filename="${filename}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  })
}

const stamp = () => new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, 'Z')
