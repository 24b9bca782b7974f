import { Hono } from 'hono'
import type { AppContext } from '../context.ts'
import { apiError } from '../http/api-error.ts'
import { RunIdSchema } from '../storage/export-format.ts'
import { readJson } from './compare-input.ts'
import { judgeStudy, summarizeStudyJudge, type StudyJudgeSummary } from '../arena/study-judge.ts'
import { judgeTargets } from '../web/arena-panel.tsx'
import { StudyJudgePanel } from '../../views/study-judge-view.tsx'
import { Layout } from '../../views/layout.tsx'

type Judged =
  | { ok: true; summary: StudyJudgeSummary }
  | { ok: false; status: 404 | 409 | 422 | 429 | 503; message: string; path?: string }

/**
 * The LLM judge on a finished study: `POST /api/studies/:id/judge { judge, reference }` judges every target
 * against the reference, prompt by prompt; `GET` returns the last judging. The study page loads the panel.
 */
export function studyJudgeRoutes(ctx: AppContext): Hono {
  const app = new Hono()

  const summaryOf = async (id: string): Promise<StudyJudgeSummary | null> => {
    const record = await ctx.arena?.studyJudge(id)
    const study = record ? await ctx.studies?.export(id) : null
    return record && study ? summarizeStudyJudge(record, study) : null
  }

  async function judge(id: string, judgeTarget: string, reference: string): Promise<Judged> {
    if (!ctx.arena || !ctx.studies || !ctx.store) {
      return { ok: false, status: 503, message: 'the judge needs the history database' }
    }
    const study = RunIdSchema.safeParse(id).success ? await ctx.studies.export(id) : null
    if (!study) return { ok: false, status: 404, message: 'study not found' }
    if (study.study.status === 'running') {
      return { ok: false, status: 409, message: 'the study is still running: judge it once it has ended' }
    }
    if (!study.input.targets.includes(reference)) {
      return { ok: false, status: 422, message: 'the reference must be a target of the study', path: 'reference' }
    }
    if (!judgeTargets(ctx).some((t) => t.target === judgeTarget)) {
      const message = `"${judgeTarget.slice(0, 100)}" is not a configured target with a key`
      return { ok: false, status: 422, message, path: 'judge' }
    }
    const release = ctx.runSlots.tryAcquire()
    if (!release) return { ok: false, status: 429, message: ctx.runSlots.busyMessage() }
    try {
      const store = ctx.store
      const record = await judgeStudy(ctx, {
        study,
        judge: judgeTarget,
        reference,
        answerOf: async (runId) => (await store.getRun(runId))?.results[0]?.text ?? null,
      })
      await ctx.arena.saveStudyJudge(record)
      return { ok: true, summary: summarizeStudyJudge(record, study) }
    } finally {
      release()
    }
  }

  const field = (raw: unknown, key: string) => {
    const v = (raw as Record<string, unknown> | null)?.[key]
    return typeof v === 'string' ? v : ''
  }

  app.post('/api/studies/:id/judge', async (c) => {
    const raw = await readJson(c.req)
    if (!raw.ok) return apiError(c, 400, 'request body must be JSON')
    const out = await judge(c.req.param('id'), field(raw.value, 'judge'), field(raw.value, 'reference'))
    if (out.ok) return c.json(out.summary)
    return apiError(c, out.status, out.message, out.path ? [{ path: out.path, message: out.message }] : [])
  })

  app.get('/api/studies/:id/judge', async (c) => {
    const summary = await summaryOf(c.req.param('id'))
    return summary ? c.json(summary) : apiError(c, 404, 'this study has not been judged')
  })

  const panel = async (id: string, extra: { summary?: StudyJudgeSummary | null; problem?: string } = {}) => {
    const study = RunIdSchema.safeParse(id).success ? await ctx.studies?.export(id) : null
    if (!study) return null
    return (
      <StudyJudgePanel
        studyId={id}
        targets={study.input.targets}
        judges={judgeTargets(ctx)}
        summary={extra.summary === undefined ? await summaryOf(id) : extra.summary}
        problem={extra.problem}
      />
    )
  }

  app.get('/studies/:id/judge', async (c) => {
    const id = c.req.param('id')
    const html = await panel(id)
    const study = html ? await ctx.studies?.get(id) : null
    if (!html || !study) return c.notFound()
    return c.html(
      <Layout title={`Judge · ${study.name}`} active="studies">
        <nav class="breadcrumbs" aria-label="Breadcrumb">
          <a href="/studies">Studies</a> › <a href={`/studies/${id}`}>{study.name}</a>
        </nav>
        <h1>Judge “{study.name}”</h1>
        <div id="study-judge">{html}</div>
      </Layout>,
    )
  })

  app.post('/studies/:id/judge', async (c) => {
    const form = await c.req.parseBody()
    const id = c.req.param('id')
    const out = await judge(id, field(form, 'judge'), field(form, 'reference'))
    const html = await panel(id, out.ok ? { summary: out.summary } : { problem: out.message })
    if (!html) return c.text('study not found', 404)
    return c.html(html, out.ok ? 200 : out.status)
  })

  return app
}
