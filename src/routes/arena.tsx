import { type Context, Hono } from 'hono'
import type { AppContext } from '../context.ts'
import { apiError } from '../http/api-error.ts'
import { RunIdSchema } from '../storage/export-format.ts'
import { issuesOf, readJson } from './compare-input.ts'
import { VoteBodySchema } from '../arena/vote-rules.ts'
import { runJudge, type JudgedRun, type JudgeOutcome } from '../arena/run-judge.ts'
import { judgePairs } from '../arena/judge.ts'
import { castVote, type CastOutcome } from '../web/cast-vote.ts'
import { runViewData, type RunViewData } from '../web/run-view-data.ts'
import { arenaPanel, judgeTargets } from '../web/arena-panel.tsx'
import type { RunRegistry } from '../web/run-registry.ts'
import { RunView } from '../../views/run-page-parts.tsx'
import { leaderboardRoutes } from './leaderboard.tsx'
import { studyJudgeRoutes } from './study-judge.tsx'

const CAST_ERRORS: Record<Exclude<CastOutcome['status'], 'ok' | 'invalid'>, [404 | 409 | 503, string]> = {
  'not-found': [404, 'run not found'],
  running: [409, 'the run is still going; vote once it has ended'],
  'no-store': [503, 'votes need the history database'],
}

const judgeBodyOf = (raw: unknown) => {
  const judge = (raw as { judge?: unknown } | null)?.judge
  return typeof judge === 'string' ? judge : ''
}

/**
 * The arena: votes on runs (API and the run page's buttons, which reveal a blind run in place), the LLM judge,
 * and the leaderboard.
 */
export function arenaRoutes(ctx: AppContext, registry: RunRegistry): Hono {
  const app = new Hono()

  app.post('/api/runs/:id/vote', async (c) => {
    if (!RunIdSchema.safeParse(c.req.param('id')).success) return apiError(c, 404, 'run not found')
    const raw = await readJson(c.req)
    if (!raw.ok) return apiError(c, 400, 'request body must be JSON')
    const body = VoteBodySchema.safeParse(raw.value)
    if (!body.success) return apiError(c, 422, 'invalid vote', issuesOf(body.error))
    const cast = await castVote(ctx, registry, { runId: c.req.param('id'), winner: body.data.winner })
    if (cast.status === 'ok') return c.json({ vote: cast.vote })
    if (cast.status === 'invalid') return apiError(c, 422, 'invalid vote', [{ path: 'winner', message: cast.message }])
    const [status, message] = CAST_ERRORS[cast.status]
    return apiError(c, status, message)
  })

  // The run page's vote buttons: the answer is the whole run view, revealed when the run was blind.
  app.post('/runs/:id/vote', async (c) => {
    const id = c.req.param('id')
    const form = await c.req.parseBody()
    const winner = typeof form.winner === 'string' ? form.winner : ''
    const cast = RunIdSchema.safeParse(id).success
      ? await castVote(ctx, registry, { runId: id, winner, letters: true })
      : ({ status: 'not-found' } as const)
    if (cast.status !== 'ok') {
      const message = cast.status === 'invalid' ? cast.message : CAST_ERRORS[cast.status][1]
      return c.text(message, cast.status === 'invalid' ? 422 : CAST_ERRORS[cast.status][0])
    }
    return runViewResponse(c, id)
  })

  app.post('/api/runs/:id/judge', async (c) => {
    const raw = await readJson(c.req)
    if (!raw.ok) return apiError(c, 400, 'request body must be JSON')
    const judged = await judge(c.req.param('id'), judgeBodyOf(raw.value))
    if ('error' in judged) return apiError(c, judged.status, judged.error, judged.issues)
    return c.json(judged.outcome)
  })

  app.post('/runs/:id/judge', async (c) => {
    const form = await c.req.parseBody()
    const id = c.req.param('id')
    const judged = await judge(id, typeof form.judge === 'string' ? form.judge : '')
    const data = RunIdSchema.safeParse(id).success ? await runViewData(ctx, registry, id) : null
    if (!data || data === 'running') return c.text('error' in judged ? judged.error : 'run not found', 404)
    const extra = 'error' in judged ? { problem: judged.error } : { outcome: judged.outcome }
    return c.html(String(await arenaPanel(ctx, data, extra)), 'error' in judged ? judged.status : 200)
  })

  app.route('/', leaderboardRoutes(ctx))
  app.route('/', studyJudgeRoutes(ctx))

  const runViewResponse = async (c: Context, id: string) => {
    const data = await runViewData(ctx, registry, id)
    if (!data || data === 'running') return c.text('run not found', 404)
    data.view.judge = await arenaPanel(ctx, data)
    return c.html(<RunView {...data.view} />)
  }

  type Judged =
    | { outcome: JudgeOutcome }
    | { error: string; status: 404 | 409 | 422 | 429 | 503; issues?: Array<{ path: string; message: string }> }

  /** Validates the run and the judge, then judges (one run slot, like any run). */
  async function judge(id: string, judgeTarget: string): Promise<Judged> {
    if (!ctx.arena || !ctx.store) return { error: 'the judge needs the history database', status: 503 }
    const data = RunIdSchema.safeParse(id).success ? await runViewData(ctx, registry, id) : null
    if (!data) return { error: 'run not found', status: 404 }
    if (data === 'running') return { error: 'the run is still going; judge it once it has ended', status: 409 }
    // Its verdicts name the models: a blind run is judged after the person's own vote.
    if (data.hidden) return { error: 'vote first: this blind run is still hidden', status: 409 }
    if (!judgeTargets(ctx).some((t) => t.target === judgeTarget)) {
      const message = `"${judgeTarget.slice(0, 100)}" is not a configured target with a key`
      return { error: 'invalid judge', status: 422, issues: [{ path: 'judge', message }] }
    }
    const run = judgedRun(data)
    if (judgePairs(run.answers).length === 0) {
      return { error: 'nothing to judge: fewer than two answers of this run succeeded', status: 422 }
    }
    const release = ctx.runSlots.tryAcquire()
    if (!release) return { error: ctx.runSlots.busyMessage(), status: 429 }
    try {
      const outcome = await runJudge({ ...ctx, arena: ctx.arena }, { run: judgedRun(data), judge: judgeTarget })
      return { outcome }
    } finally {
      release()
    }
  }

  return app
}

function judgedRun(data: RunViewData): JudgedRun {
  return {
    run_id: data.view.runId,
    prompt: data.view.prompt,
    system: data.system,
    answers: data.targets.map((target, i) => {
      const r = data.view.results?.[i]
      return { target, ok: r?.status === 'ok' && r.text.trim() !== '', text: r?.text ?? '' }
    }),
  }
}
