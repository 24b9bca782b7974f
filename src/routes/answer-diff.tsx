import { Hono } from 'hono'
import { isHidden } from '../web/blind-state.ts'
import type { AppContext } from '../context.ts'
import { diffAnswers } from '../compare/answer-diff.ts'
import { findRun, type FoundRun } from '../web/find-run.ts'
import type { RunRegistry } from '../web/run-registry.ts'
import { columnLabel } from '../web/column-info.ts'
import { DiffProblem, DiffResult, type DiffColumn } from '../../views/answer-diff-view.tsx'

interface Answers {
  columns: DiffColumn[]
  /** Each column's answer text; null while it is still being written. */
  texts: Array<string | null>
}

/** The columns and answers of a run, live (once done) or stored; null while the run is still going. */
function answersOf(ctx: AppContext, found: FoundRun): Answers | null {
  if (found.kind === 'live') {
    const run = found.run
    if (!run.done) return null
    return {
      columns: run.request.targets.map((t, i) => ({
        target: t.target,
        label: columnLabel(ctx, t.target, run.results[i]?.label),
      })),
      texts: run.request.targets.map((_, i) => (run.retries.has(i) ? null : (run.results[i]?.text ?? null))),
    }
  }
  const run = found.run
  if (run.status === 'running') return null
  return {
    columns: run.results.map((r) => ({ target: r.target, label: columnLabel(ctx, r.target, r.label) })),
    texts: run.results.map((r) => (r.status === 'running' ? null : r.text)),
  }
}

/** GET /runs/:id/diff?a=&b=: the word diff of two columns' answers, as a fragment for the run page. */
export function answerDiffRoutes(ctx: AppContext, registry: RunRegistry): Hono {
  const app = new Hono()
  app.get('/runs/:id/diff', async (c) => {
    const problem = (status: 404 | 409 | 422, message: string) => c.html(<DiffProblem message={message} />, status)
    const found = await findRun(ctx, registry, c.req.param('id'))
    if (!found) return problem(404, 'This run is not available any more.')
    // The diff's headings name the models.
    if (await isHidden(ctx, c.req.param('id'))) return problem(409, 'Vote first: this blind run is still hidden.')
    const answers = answersOf(ctx, found)
    if (!answers) return problem(409, 'This run is still going: compare its answers once it is done.')
    const index = (raw: string | undefined) =>
      raw && /^[0-9]{1,3}$/.test(raw) && Number(raw) < answers.columns.length ? Number(raw) : null
    const a = index(c.req.query('a'))
    const b = index(c.req.query('b'))
    if (a === null || b === null) return problem(422, 'Pick two of this run’s answers.')
    if (a === b) return problem(422, 'Pick two different answers.')
    const textA = answers.texts[a]
    const textB = answers.texts[b]
    if (textA == null || textB == null) return problem(409, 'One of these answers is still being written.')
    return c.html(<DiffResult a={answers.columns[a]!} b={answers.columns[b]!} diff={diffAnswers(textA, textB)} />)
  })
  return app
}
