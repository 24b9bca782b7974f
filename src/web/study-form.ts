import type { AppContext } from '../context.ts'
import type { ApiIssue } from '../http/api-error.ts'
import { RunIdSchema } from '../storage/export-format.ts'
import { parsePromptBytes } from '../studies/prompt-file.ts'
import { validateStudy } from '../studies/input.ts'
import type { StudyInput, StudyPrompt } from '../studies/types.ts'
import type { HistoryPick, StudyFormValues } from '../../views/study-new-page.tsx'

// The new-study form: its fields as the API's body (one validation for the page, the API and the CLI), its
// prompts from three sources, and the history runs it offers. No HTTP here; the route passes the parsed form.

/** A multipart or urlencoded form as Hono parses it with `{ all: true }`. */
export type StudyFormBody = Record<string, string | File | Array<string | File>>

/** Recent runs offered to pick prompts from, and at most how many picked runs a form carries. */
const HISTORY_PICKS = 20
const MAX_PICKED = 1000
const PICK_EXCERPT = 200

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
const list = (v: unknown): string[] =>
  (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string')
export const optionalNumber = (v: unknown): number | string | undefined => {
  const s = str(v)?.trim()
  if (!s) return undefined
  const n = Number(s)
  return Number.isFinite(n) ? n : s // a non-number stays a string so validation names the field
}
export const validId = (id: string) => RunIdSchema.safeParse(id).success

/** What the form typed, kept for the page that comes back with a problem. */
export function studyFormValues(form: StudyFormBody): StudyFormValues {
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
async function gatherPrompts(ctx: AppContext, form: StudyFormBody): Promise<Gathered> {
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
    const parsed = parsePromptBytes(file.name, new Uint8Array(await file.arrayBuffer()))
    if (!parsed.ok) out.issues.push({ path: `${file.name} line ${parsed.line}`, message: parsed.message })
    else for (const [i, p] of parsed.prompts.entries()) add(p, `${file.name} prompt ${i + 1}`)
  }
  for (const id of list(form.history).filter(validId).slice(0, MAX_PICKED)) {
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

export type CheckedStudyForm = { values: StudyFormValues } & (
  | { ok: true; input: StudyInput }
  | { ok: false; issues: ApiIssue[] }
)

/** The form as the API's body, through the one study validation (the API's and the CLI's). */
export async function checkStudyForm(ctx: AppContext, form: StudyFormBody): Promise<CheckedStudyForm> {
  const values = studyFormValues(form)
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

export async function recentRuns(ctx: AppContext, q?: string): Promise<HistoryPick[]> {
  if (!ctx.store) return []
  // A prompt asked several times (a study's cells, reruns) is offered once: its newest run.
  const page = await ctx.store.listRuns({ limit: HISTORY_PICKS * 5, ...(q?.trim() ? { q: q.trim() } : {}) })
  const seen = new Set<string>()
  return page.runs.filter((r) => !seen.has(r.prompt) && seen.add(r.prompt)).slice(0, HISTORY_PICKS)
}

export async function pickedRuns(ctx: AppContext, ids: string[]): Promise<HistoryPick[]> {
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
