import { type Context, Hono } from 'hono'
import type { AppContext } from '../context.ts'
import type { ApiIssue } from '../http/api-error.ts'
import { PAGE_WAIT_MS } from '../providers/reachability.ts'
import { renderMarkdown } from '../render/markdown.ts'
import { RunIdSchema } from '../storage/export-format.ts'
import { parsePromptFile } from '../studies/prompt-file.ts'
import { validateStudy } from '../studies/input.ts'
import type { StudyPrompt, StudyService, StudyView } from '../studies/types.ts'
import { studyCharts, studyWhatIf } from '../web/study-figures.ts'
import type { FormBody } from './compare-form.ts'
import { Layout } from '../../views/layout.tsx'
import { StudyListPage } from '../../views/study-list-page.tsx'
import {
  type HistoryPick,
  HistoryPicks,
  StudyEstimateView,
  type StudyFormValues,
  StudyNewPage,
} from '../../views/study-new-page.tsx'
import { type GridPage, StudyLive, StudyPage } from '../../views/study-page.tsx'
import { type AnsweredCell, StudyPromptPage } from '../../views/study-prompt-page.tsx'

/** Prompts per page of a study's grid: a 10,000-cell study is read a page at a time. */
export const GRID_PROMPTS_PER_PAGE = 25
/** Recent runs offered to pick prompts from, and at most how many picked runs a form carries. */
const HISTORY_PICKS = 20
const MAX_PICKED = 1000
const PICK_EXCERPT = 200

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
const list = (v: unknown): string[] =>
  (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string')
const optionalNumber = (v: unknown): number | string | undefined => {
  const s = str(v)?.trim()
  if (!s) return undefined
  const n = Number(s)
  return Number.isFinite(n) ? n : s // a non-number stays a string so validation names the field
}
const validId = (id: string) => RunIdSchema.safeParse(id).success

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

/** What the form typed, kept for the page that comes back with a problem. */
function formValues(form: FormBody): StudyFormValues {
  return {
    name: str(form.name),
    prompts: str(form.prompts),
    system: str(form.system),
    targets: list(form.targets),
    repeats: str(form.repeats),
    concurrency: str(form.concurrency),
    temperature: str(form.temperature),
    max_tokens: str(form.max_tokens),
    max_usd: str(form.max_usd),
    history: list(form.history).filter(validId),
  }
}

interface Gathered {
  prompts: StudyPrompt[]
  /** Where each prompt came from, so a problem names the pasted line, the file line or the run. */
  origins: string[]
  issues: ApiIssue[]
}

/** The prompts of the three sources: pasted lines, the uploaded file, runs picked from history. */
async function gatherPrompts(ctx: AppContext, form: FormBody): Promise<Gathered> {
  const out: Gathered = { prompts: [], origins: [], issues: [] }
  const system = str(form.system)?.trim() ? str(form.system) : undefined
  const add = (p: StudyPrompt, origin: string) => {
    out.prompts.push(system && !p.system ? { ...p, system } : p)
    out.origins.push(origin)
  }
  const pasted = (str(form.prompts) ?? '').split(/\r?\n/)
  for (const [i, line] of pasted.entries()) if (line.trim()) add({ prompt: line }, `pasted line ${i + 1}`)
  const file = form.file
  if (file instanceof File && (file.size > 0 || file.name)) {
    const parsed = parsePromptFile(file.name, await file.text())
    if (!parsed.ok) out.issues.push({ path: `${file.name} line ${parsed.line}`, message: parsed.message })
    else for (const [i, p] of parsed.prompts.entries()) add(p, `${file.name} prompt ${i + 1}`)
  }
  for (const id of list(form.history).filter(validId)) {
    const run = await ctx.store?.getRun(id)
    if (!run) out.issues.push({ path: 'history', message: `run ${id} is no longer in history` })
    else add(run.system ? { prompt: run.prompt, system: run.system } : { prompt: run.prompt }, `run ${id}`)
  }
  return out
}

/** `prompts[3].expected` → `pasted line 4: expected`, so a person knows which line to fix. */
function nameIssue(issue: ApiIssue, origins: string[]): ApiIssue {
  const m = /^prompts\[(\d+)\](?:\.(.+))?$/.exec(issue.path)
  const origin = m ? origins[Number(m[1])] : undefined
  if (!m || !origin) return issue
  return { path: m[2] ? `${origin} (${m[2]})` : origin, message: issue.message }
}

type Checked = { values: StudyFormValues } & (
  | { ok: true; input: Parameters<StudyService['create']>[0] }
  | { ok: false; issues: ApiIssue[] }
)

/** The form as the API's body, through the one study validation (the API's and the CLI's). */
async function checkForm(ctx: AppContext, form: FormBody): Promise<Checked> {
  const values = formValues(form)
  const gathered = await gatherPrompts(ctx, form)
  if (gathered.issues.length) return { ok: false, issues: gathered.issues, values }
  const body: Record<string, unknown> = { prompts: gathered.prompts, targets: values.targets }
  if (values.name?.trim()) body.name = values.name
  for (const key of ['repeats', 'concurrency', 'temperature', 'max_tokens', 'max_usd'] as const) {
    const n = optionalNumber(form[key])
    if (n !== undefined) body[key] = n
  }
  const checked = validateStudy(ctx.studyLimits, body)
  if (!checked.ok) return { ok: false, issues: checked.issues.map((i) => nameIssue(i, gathered.origins)), values }
  return { ok: true, input: checked.input, values }
}

async function recentRuns(ctx: AppContext, q?: string): Promise<HistoryPick[]> {
  if (!ctx.store) return []
  // A prompt asked several times (a study's cells, reruns) is offered once: its newest run.
  const page = await ctx.store.listRuns({ limit: HISTORY_PICKS * 5, ...(q?.trim() ? { q: q.trim() } : {}) })
  const seen = new Set<string>()
  return page.runs.filter((r) => !seen.has(r.prompt) && seen.add(r.prompt)).slice(0, HISTORY_PICKS)
}

async function pickedRuns(ctx: AppContext, ids: string[]): Promise<HistoryPick[]> {
  if (!ctx.store || ids.length === 0) return []
  const found: HistoryPick[] = []
  for (const id of ids.slice(0, MAX_PICKED)) {
    const run = await ctx.store.getRun(id)
    if (!run) continue
    const prompt = [...run.prompt]
    found.push({
      run_id: run.run_id,
      created_at: run.created_at,
      prompt: prompt.slice(0, PICK_EXCERPT).join(''),
      prompt_truncated: prompt.length > PICK_EXCERPT,
    })
  }
  return found
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
  paused: 'Paused: the cells in flight were stopped and will run again on resume.',
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
    const checked = await checkForm(ctx, (await c.req.parseBody({ all: true })) as FormBody)
    if (!checked.ok) return c.html(<StudyEstimateView issues={checked.issues} />)
    const estimate = await ctx.studies.estimate(checked.input)
    return c.html(<StudyEstimateView estimate={estimate} maxUsd={checked.input.max_usd} />)
  })

  app.post('/studies', async (c) => {
    if (!ctx.studies) return c.html(<Unavailable />, 503)
    const checked = await checkForm(ctx, (await c.req.parseBody({ all: true })) as FormBody)
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
        const form = (await c.req.parseBody()) as FormBody
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
