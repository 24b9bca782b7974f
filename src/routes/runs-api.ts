import { type Context, Hono } from 'hono'
import type { z } from 'zod'
import type { AppContext } from '../context.ts'
import { exportCsvChunks } from '../storage/csv.ts'
import { RunIdSchema, exportJsonChunks } from '../storage/export-format.ts'
import { importExport } from '../storage/import-runs.ts'
import { withArena } from '../arena/run-arena.ts'
import { historyArena } from '../web/history-arena.ts'
import { isHidden } from '../web/blind-state.ts'
import { queryObject, runFilterQuerySchema, runListQuerySchema, spendQuerySchema } from '../storage/run-query.ts'
import type { RunListPage, StoredRun } from '../storage/types.ts'
import { issuesOf, readJson } from './compare-input.ts'
import { type ApiIssue, apiError } from '../http/api-error.ts'

const MAX_ISSUES = 50

/** History JSON API, mounted at /api/runs: list, read, delete, export and import runs. */
export function runsApiRoutes(ctx: AppContext): Hono {
  const app = new Hono()
  const store = ctx.store
  if (!store) {
    app.all('*', (c) => apiError(c, 503, 'history is not enabled on this server'))
    return app
  }
  app.use('*', async (c, next) => {
    await next()
    c.header('cache-control', 'no-store')
  })

  app.get('/', async (c) => {
    const q = parse(runListQuerySchema, queryObject(c.req.queries()))
    if (!q.ok) return invalid(c, q)
    return c.json(await hideBlindRuns(ctx, await store.listRuns(q.value)))
  })

  app.get('/export.json', async (c) => {
    const q = parse(runFilterQuerySchema, queryObject(c.req.queries()))
    if (!q.ok) return invalid(c, q)
    // The history export carries the presets too (export version 2); one run's export, or a history without
    // presets, stays version 1 so older Juxtas still read it.
    const presets = (await ctx.presets?.exportPresets()) ?? []
    const chunks = exportJsonChunks(withArena(store.exportRuns(q.value), ctx.arena), {
      images: (h) => store.getImage(h),
      ...(presets.length > 0 ? { presets } : {}),
    })
    return download(ctx, chunks, `juxta-runs-${stamp()}.json`)
  })

  app.get('/export.csv', (c) => {
    const q = parse(runFilterQuerySchema, queryObject(c.req.queries()))
    if (!q.ok) return invalid(c, q)
    return download(ctx, exportCsvChunks(store.exportRuns(q.value)), `juxta-runs-${stamp()}.csv`)
  })

  // The body limit for imports (larger than any other) is set in app.ts with the others.
  app.post('/import', async (c) => {
    const raw = await readJson(c.req)
    if (!raw.ok) return apiError(c, 400, 'request body must be JSON')
    const result = await importExport(store, raw.value, ctx.secrets(), { presets: ctx.presets, arena: ctx.arena })
    if (!result.ok) {
      return apiError(c, 422, 'not a Juxta runs export', issuesOf({ issues: result.issues.slice(0, MAX_ISSUES) }))
    }
    return c.json(result.outcome)
  })

  app.get('/:id', async (c) => {
    const id = runId(c.req.param('id'))
    if (!id.ok) return invalid(c, id)
    const run = await store.getRun(id.value)
    return run ? c.json(run) : apiError(c, 404, 'run not found')
  })

  app.delete('/:id', async (c) => {
    const id = runId(c.req.param('id'))
    if (!id.ok) return invalid(c, id)
    const outcome = await store.deleteRun(id.value)
    if (outcome.status === 'not-found') return apiError(c, 404, 'run not found')
    if (outcome.status === 'running') {
      return apiError(c, 409, 'the run or one of its follow-ups is still running; try again when it has ended')
    }
    return c.json({ deleted: outcome.run_ids })
  })

  for (const format of ['json', 'csv'] as const) {
    app.get(`/:id/export.${format}`, async (c) => {
      const id = runId(c.req.param('id'))
      if (!id.ok) return invalid(c, id)
      const detail = await store.getRun(id.value)
      if (!detail) return apiError(c, 404, 'run not found')
      // Its rows name each target in the order of its letters: the vote comes first.
      if (await isHidden(ctx, id.value)) return apiError(c, 409, 'hidden until the vote on this blind run')
      const { parent: _parent, children: _children, ...run } = detail
      const one = single(run)
      const chunks =
        format === 'json'
          ? exportJsonChunks(withArena(one, ctx.arena), { images: (h) => store.getImage(h) })
          : exportCsvChunks(one)
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
    if (!store) return apiError(c, 503, 'history is not enabled on this server')
    const q = parse(spendQuerySchema, queryObject(c.req.queries()))
    if (!q.ok) return invalid(c, q)
    c.header('cache-control', 'no-store')
    return c.json(await store.spend(q.value))
  })
  return app
}

type Parsed<T> = { ok: true; value: T } | { ok: false; message: string; issues: ApiIssue[] }

/** 422 with what was wrong with a query or an id. */
const invalid = (c: Context, failed: { message: string; issues: ApiIssue[] }) =>
  apiError(c, 422, failed.message, failed.issues)

function parse<S extends z.ZodType>(schema: S, input: unknown): Parsed<z.output<S>> {
  const result = schema.safeParse(input)
  if (result.success) return { ok: true, value: result.data }
  return { ok: false, message: 'invalid request', issues: issuesOf(result.error).slice(0, MAX_ISSUES) }
}

function runId(raw: string): Parsed<string> {
  const parsed = parse(RunIdSchema, raw)
  if (parsed.ok) return parsed
  return { ok: false, message: 'invalid run id', issues: parsed.issues.map((i) => ({ ...i, path: 'id' })) }
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

/**
 * The list names no target of an unvoted blind run: its targets are stored in the order of its letters, so even
 * their order would give the vote away. Such a run lists `hidden: true`, no targets and no cheapest/fastest.
 */
async function hideBlindRuns(ctx: AppContext, page: RunListPage): Promise<RunListPage> {
  const arena = await historyArena(ctx, page)
  return {
    ...page,
    runs: page.runs.map((run) =>
      arena.get(run.run_id)?.hidden ? { ...run, hidden: true, targets: [], cheapest: null, fastest: null } : run,
    ),
  }
}
