import { type Context, Hono } from 'hono'
import type { AppContext } from '../context.ts'
import type { ApiIssue } from '../http/api-error.ts'
import { PAGE_WAIT_MS } from '../providers/reachability.ts'
import { renderMarkdown } from '../render/markdown.ts'
import type { StudyService, StudyView } from '../studies/types.ts'
import { studyCharts, studyWhatIf } from '../web/study-figures.ts'
import {
  checkStudyForm,
  optionalNumber,
  pickedRuns,
  recentRuns,
  type StudyFormBody,
  validId,
} from '../web/study-form.ts'
import { Layout } from '../../views/layout.tsx'
import { StudyListPage } from '../../views/study-list-page.tsx'
import { HistoryPicks, StudyEstimateView, type StudyFormValues, StudyNewPage } from '../../views/study-new-page.tsx'
import { type GridPage, StudyLive, StudyPage } from '../../views/study-page.tsx'
import { type AnsweredCell, StudyPromptPage } from '../../views/study-prompt-page.tsx'

/** Prompts per page of a study's grid: a 10,000-cell study is read a page at a time. */
export const GRID_PROMPTS_PER_PAGE = 25

function Unavailable() {
  return (
    <Layout title="Studies" active="studies">
      <h1>Studies</h1>
      <p class="card">Studies need the history database, which is not enabled on this server.</p>
    </Layout>
  )
}

function NotFound() {
  return (
    <Layout title="Study not found" active="studies">
      <h1>Study not found</h1>
      <p class="card">
        There is no such study. <a href="/studies">All studies</a>
      </p>
    </Layout>
  )
}

async function newPage(c: Context, ctx: AppContext, values?: StudyFormValues, issues?: ApiIssue[], status = 200) {
  const providers = ctx.catalog().providers
  const reach = await ctx.reachability.settle(providers, { maxWaitMs: PAGE_WAIT_MS })
  const history = { picked: await pickedRuns(ctx, values?.history ?? []), found: await recentRuns(ctx) }
  return c.html(
    <StudyNewPage providers={providers} reach={reach} values={values} issues={issues} history={history} />,
    status as 200,
  )
}

/** Notices after an action, by code (never text from the query string). */
const NOTICES: Record<string, string> = {
  started: 'Study started.',
  paused: 'Paused: no new cell starts; those in flight finish. Resume runs the missing cells.',
  resumed: 'Resumed: only the missing cells run.',
  cancelled: 'Cancelled.',
}

/** The study pages: list, new (form, estimate, history picks), one study (live progress, results), one prompt. */
export function studyPageRoutes(ctx: AppContext): Hono {
  const app = new Hono()

  app.get('/studies', async (c) => {
    if (!ctx.studies) return c.html(<StudyListPage studies={[]} unavailable />, 503)
    return c.html(<StudyListPage studies={await ctx.studies.list()} />)
  })

  app.get('/studies/new', async (c) => {
    if (!ctx.studies) return c.html(<Unavailable />, 503)
    return newPage(c, ctx)
  })

  // The history picker's search: the ticked runs stay first and ticked, then the runs that match.
  app.get('/studies/new/history', async (c) => {
    const picked = await pickedRuns(ctx, c.req.queries('history')?.filter(validId) ?? [])
    const q = c.req.query('history_q')
    return c.html(<HistoryPicks picked={picked} found={await recentRuns(ctx, q)} q={q} />)
  })

  app.post('/studies/estimate', async (c) => {
    if (!ctx.studies) return c.html(<StudyEstimateView hint="Studies are not enabled on this server." />, 503)
    const checked = await checkStudyForm(ctx, (await c.req.parseBody({ all: true })) as StudyFormBody)
    if (!checked.ok) return c.html(<StudyEstimateView issues={checked.issues} />)
    const estimate = await ctx.studies.estimate(checked.input)
    return c.html(<StudyEstimateView estimate={estimate} maxUsd={checked.input.max_usd} />)
  })

  app.post('/studies', async (c) => {
    if (!ctx.studies) return c.html(<Unavailable />, 503)
    const checked = await checkStudyForm(ctx, (await c.req.parseBody({ all: true })) as StudyFormBody)
    if (!checked.ok) return newPage(c, ctx, checked.values, checked.issues, 422)
    const outcome = await ctx.studies.create(checked.input)
    if (!outcome.ok) {
      const issues = outcome.issues.length ? outcome.issues : [{ path: '', message: outcome.message }]
      return newPage(c, ctx, checked.values, issues, 422)
    }
    return c.redirect(`/studies/${outcome.study_id}?notice=started`, 303)
  })

  app.get('/studies/:id', async (c) => {
    if (!ctx.studies) return c.html(<Unavailable />, 503)
    const id = c.req.param('id')
    const view = validId(id) ? await ctx.studies.get(id) : null
    if (!view) return c.html(<NotFound />, 404)
    const code = c.req.query('notice') ?? ''
    return studyPage(c, ctx, view, { notice: NOTICES[code] ? { text: NOTICES[code]! } : undefined })
  })

  // Polled every second while the study runs; once it has ended, the page is loaded again to show the results
  // (its own address, without the notice of the action that started it).
  app.get('/studies/:id/progress', async (c) => {
    const id = c.req.param('id')
    const view = ctx.studies && validId(id) ? await ctx.studies.get(id) : null
    if (!view) {
      c.header('HX-Refresh', 'true')
      return c.body(null, 404)
    }
    if (view.status !== 'running') c.header('HX-Redirect', `/studies/${view.study_id}`)
    return c.html(<StudyLive view={view} />)
  })

  for (const action of ['pause', 'cancel', 'resume'] as const) {
    app.post(`/studies/:id/${action}`, async (c) => {
      if (!ctx.studies) return c.html(<Unavailable />, 503)
      const id = c.req.param('id')
      if (!validId(id)) return c.html(<NotFound />, 404)
      let outcome: Awaited<ReturnType<StudyService['cancel']>>
      if (action === 'resume') {
        const form = (await c.req.parseBody()) as StudyFormBody
        const maxUsd = optionalNumber(form.max_usd)
        if (maxUsd !== undefined && (typeof maxUsd !== 'number' || maxUsd <= 0)) {
          return refused(c, ctx, id, 'the new budget must be a positive number of USD')
        }
        outcome = await ctx.studies.resume(id, maxUsd === undefined ? undefined : { max_usd: maxUsd as number })
      } else outcome = await ctx.studies[action](id)
      if (!outcome.ok) {
        if (outcome.status === 404) return c.html(<NotFound />, 404)
        return refused(c, ctx, id, outcome.message)
      }
      const done = { pause: 'paused', cancel: 'cancelled', resume: 'resumed' }[action]
      return c.redirect(`/studies/${id}?notice=${done}`, 303)
    })
  }

  app.get('/studies/:id/prompts/:n{[0-9]+}', async (c) => {
    if (!ctx.studies) return c.html(<Unavailable />, 503)
    const id = c.req.param('id')
    const index = Number(c.req.param('n'))
    const view = validId(id) ? await ctx.studies.get(id) : null
    if (!view) return c.html(<NotFound />, 404)
    const cells = index < view.prompt_count ? await ctx.studies.cells(id, { prompt_index: index }) : null
    if (!cells?.length) return c.html(<NotFound />, 404)
    let prompt = cells[0]!.prompt
    let system: string | null = null
    const answers: AnsweredCell[] = []
    for (const cell of cells) {
      const run = cell.run_id ? await ctx.store?.getRun(cell.run_id) : null
      if (run) {
        // The run holds the full prompt; the cell only its start.
        prompt = run.prompt
        system = run.system ?? null
      }
      const result = run?.results.find((r) => r.target === cell.target)
      answers.push({ cell, answer: result ? renderMarkdown(result.text) : null })
    }
    return c.html(<StudyPromptPage view={view} index={index} prompt={prompt} system={system} answers={answers} />)
  })

  return app
}

/**
 * A study's page: progress while it runs; once it has ended (done, cancelled, paused or interrupted) also the
 * charts, the what-if and one page of the grid, all from its cells as they are now.
 */
async function studyPage(
  c: Context,
  ctx: AppContext,
  view: StudyView,
  options: { notice?: { text: string; error?: boolean }; status?: 200 | 409 } = {},
) {
  const status = options.status ?? 200
  if (view.status === 'running') {
    const grid: GridPage = { cells: [], page: 1, pages: 1, prompts: view.prompt_count }
    return c.html(<StudyPage view={view} charts={null} whatIf={[]} grid={grid} notice={options.notice} />, status)
  }
  const cells = (await ctx.studies!.cells(view.study_id)) ?? []
  const pages = Math.max(1, Math.ceil(view.prompt_count / GRID_PROMPTS_PER_PAGE))
  const page = Math.min(pages, Math.max(1, Number.parseInt(c.req.query('page') ?? '1', 10) || 1))
  const first = (page - 1) * GRID_PROMPTS_PER_PAGE
  const grid: GridPage = {
    cells: cells.filter((x) => x.prompt_index >= first && x.prompt_index < first + GRID_PROMPTS_PER_PAGE),
    page,
    pages,
    prompts: view.prompt_count,
  }
  const charts = studyCharts(view, cells)
  const whatIf = studyWhatIf({ view, cells, catalog: ctx.catalog() })
  return c.html(<StudyPage view={view} charts={charts} whatIf={whatIf} grid={grid} notice={options.notice} />, status)
}

/** An action the study's state does not allow (resume a finished study, ...): the page, with why. */
async function refused(c: Context, ctx: AppContext, id: string, message: string) {
  const view = await ctx.studies!.get(id)
  if (!view) return c.html(<NotFound />, 404)
  return studyPage(c, ctx, view, { notice: { text: message, error: true }, status: 409 })
}
