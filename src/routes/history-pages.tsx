import { Hono } from 'hono'
import type { AppContext } from '../context.ts'
import { queryObject, runListQuerySchema, spendQuerySchema } from '../storage/run-query.ts'
import { RunIdSchema } from '../storage/export-format.ts'
import type { RunListPage } from '../storage/types.ts'
import { issuesOf } from './compare-input.ts'
import { importExport } from '../storage/import-runs.ts'
import { formatPath } from '../config/load.ts'
import { HistoryPage, type HistoryFilters } from '../../views/history-page.tsx'
import { RunPage } from '../../views/run-page.tsx'
import { SpendPage } from '../../views/spend-page.tsx'
import { runViewData } from '../web/run-view-data.ts'
import { RunRegistry } from '../web/run-registry.ts'
import { arenaPanel } from '../web/arena-panel.tsx'
import { historyArena } from '../web/history-arena.ts'
import { Layout } from '../../views/layout.tsx'

const EMPTY_PAGE: RunListPage = { runs: [], next_cursor: null, page: 1, total: 0, pages: 0 }

function Unavailable() {
  return (
    <Layout title="History" active="history">
      <h1>History</h1>
      <p class="card">History is not enabled on this server.</p>
    </Layout>
  )
}

/** What an import did with the presets it carried (`added-replaced-skipped`), for the history page's notice. */
function presetNotice(raw: unknown): string {
  const m = typeof raw === 'string' ? /^(\d{1,6})-(\d{1,6})-(\d{1,6})$/.exec(raw) : null
  return m ? ` Presets: ${m[1]} added, ${m[2]} replaced, ${m[3]} skipped.` : ''
}

/** History, one stored run, and spend: server-rendered pages over the run store. */
export function historyPageRoutes(ctx: AppContext): Hono {
  const app = new Hono()

  app.get('/history', async (c) => {
    if (!ctx.store) return c.html(<Unavailable />, 503)
    const raw = queryObject(c.req.queries())
    const filters: HistoryFilters = {
      q: typeof raw.q === 'string' ? raw.q : undefined,
      target: typeof raw.target === 'string' ? raw.target : undefined,
      from: typeof raw.from === 'string' ? raw.from : undefined,
      to: typeof raw.to === 'string' ? raw.to : undefined,
    }
    const notice =
      typeof raw.imported === 'string'
        ? `Imported ${raw.imported} runs` +
          `${typeof raw.skipped === 'string' ? `, skipped ${raw.skipped} already stored` : ''}.` +
          presetNotice(raw.presets)
        : undefined
    delete raw.imported
    delete raw.skipped
    delete raw.presets
    const parsed = runListQuerySchema.safeParse({ page: '1', limit: '50', ...raw })
    const targets = ctx
      .catalog()
      .targets()
      .map((t) => t.target)
    if (!parsed.success) {
      return c.html(
        <HistoryPage page={EMPTY_PAGE} filters={filters} targets={targets} issues={issuesOf(parsed.error)} />,
        422,
      )
    }
    const page = await ctx.store.listRuns(parsed.data)
    const arena = await historyArena(ctx, page)
    return c.html(
      <HistoryPage page={page} filters={filters} targets={targets} issues={[]} notice={notice} arena={arena} />,
    )
  })

  app.get('/runs/:id', async (c) => {
    if (!ctx.store) return c.html(<Unavailable />, 503)
    const id = RunIdSchema.safeParse(c.req.param('id'))
    // From history only (an empty registry): this page shows the run as stored.
    const data = id.success ? await runViewData(ctx, new RunRegistry(0), id.data) : null
    if (!data || data === 'running' || !data.stored) return c.notFound()
    const run = data.stored
    const canContinue =
      run.status !== 'running' && run.targets.every((t) => ctx.catalog().find(t)?.provider.keyStatus !== 'missing')
    data.view.judge = await arenaPanel(ctx, data)
    // Still running on some instance: the page attaches to its live log.
    const attach = run.status === 'running' && (await ctx.live.startOf(run.run_id)) !== null
    return c.html(<RunPage run={run} view={data.view} canContinue={canContinue} hidden={data.hidden} attach={attach} />)
  })

  app.post('/history/import', async (c) => {
    if (!ctx.store) return c.html(<Unavailable />, 503)
    const form = await c.req.parseBody()
    const file = form.file
    let raw: unknown
    if (file instanceof File) {
      try {
        raw = JSON.parse(await file.text())
      } catch {
        raw = undefined
      }
    }
    const result =
      raw === undefined
        ? null
        : await importExport(ctx.store, raw, ctx.secrets(), { presets: ctx.presets, arena: ctx.arena })
    if (!result?.ok) {
      const page = await ctx.store.listRuns({ limit: 50, page: 1 })
      const targets = ctx
        .catalog()
        .targets()
        .map((t) => t.target)
      const message = result
        ? `not a Juxta runs export (${result.issues.length} problems, ` +
          `first at ${formatPath(result.issues[0]?.path ?? [])}: ${result.issues[0]?.message})`
        : 'the file is not JSON'
      return c.html(
        <HistoryPage page={page} filters={{}} targets={targets} issues={[{ path: 'file', message }]} />,
        422,
      )
    }
    const { imported, skipped, skipped_runs } = result.outcome
    const problems = skipped_runs.filter((r) => r.reason !== 'already stored')
    const p = result.outcome.presets
    const presets = p ? `&presets=${p.added}-${p.replaced}-${p.skipped}` : ''
    if (problems.length === 0) return c.redirect(`/history?imported=${imported}&skipped=${skipped}${presets}`, 303)
    // Runs that could not be imported are listed with their reason on the page itself (not in a redirect URL).
    const page = await ctx.store.listRuns({ limit: 50, page: 1 })
    const targets = ctx
      .catalog()
      .targets()
      .map((t) => t.target)
    const issues = problems.map((r) => ({
      path: `run ${r.index + 1}${r.run_id ? ` (${r.run_id})` : ''}`,
      message: r.reason,
    }))
    const unlisted = skipped - skipped_runs.length
    const stored = skipped - problems.length - unlisted
    const more = unlisted > 0 ? `; ${unlisted} more not listed` : ''
    const notice =
      `Imported ${imported} runs, skipped ${skipped} ` +
      `(${stored} already stored; ${problems.length} could not be imported, listed above${more}).` +
      presetNotice(p ? `${p.added}-${p.replaced}-${p.skipped}` : undefined)
    return c.html(<HistoryPage page={page} filters={{}} targets={targets} issues={issues} notice={notice} />)
  })

  app.get('/spend', async (c) => {
    if (!ctx.store) return c.html(<Unavailable />, 503)
    const raw = queryObject(c.req.queries())
    const from = typeof raw.from === 'string' ? raw.from : undefined
    const to = typeof raw.to === 'string' ? raw.to : undefined
    const parsed = spendQuerySchema.safeParse(raw)
    if (!parsed.success) {
      const empty = await ctx.store.spend({ from: new Date(0), to: new Date(1) })
      return c.html(<SpendPage report={empty} from={from} to={to} issues={issuesOf(parsed.error)} />, 422)
    }
    return c.html(<SpendPage report={await ctx.store.spend(parsed.data)} from={from} to={to} issues={[]} />)
  })

  return app
}
