import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import type { AppContext } from '../context.ts'
import { buildRequest, executeRun, type RunInput } from '../engine/run-service.ts'
import type { RunEvent } from '../engine/types.ts'
import { compareBodySchema, issuesOf, type CompareBody } from './compare-input.ts'
import { summarizeRun } from '../pricing/summary.ts'

const unprocessable = (message: string, issues: Array<{ path: string; message: string }>) =>
  Response.json({ error: { message, issues } }, { status: 422 })

export function toRunInput(body: CompareBody): RunInput {
  return {
    prompt: body.prompt,
    system: body.system,
    targets: body.targets,
    params: { temperature: body.temperature, max_tokens: body.max_tokens },
  }
}

/** JSON API: list targets, run a compare (whole or streamed). */
export function apiRoutes(ctx: AppContext): Hono {
  const app = new Hono()

  app.get('/targets', (c) =>
    c.json(
      ctx.catalog().targets().map((t) => ({
        target: t.target,
        provider: t.provider.id,
        provider_name: t.provider.name,
        model: t.model.id,
        label: t.model.label,
        key_status: t.provider.keyStatus,
      })),
    ),
  )

  app.post('/compare', async (c) => {
    let raw: unknown
    try {
      raw = await c.req.json()
    } catch {
      return c.json({ error: { message: 'request body must be JSON', issues: [] } }, 400)
    }
    const parsed = compareBodySchema(ctx.catalog(), ctx.settings.max_targets).safeParse(raw)
    if (!parsed.success) return unprocessable('invalid compare request', issuesOf(parsed.error))
    const input = toRunInput(parsed.data)
    const request = buildRequest(input)
    const meta = { prompt: input.prompt, system: input.system ?? null, parent_id: null }
    const controller = new AbortController()
    const onClientGone = () => controller.abort()
    c.req.raw.signal.addEventListener('abort', onClientGone, { once: true })

    if (!parsed.data.stream) {
      const run = await executeRun(ctx, request, meta, { signal: controller.signal })
      c.req.raw.signal.removeEventListener('abort', onClientGone)
      return c.json({ ...run, summary: summarizeRun(run.results) })
    }

    return streamSSE(c, async (stream) => {
      stream.onAbort(onClientGone)
      const targets = request.targets.map((t) => t.target)
      await stream.writeSSE({ event: 'run', data: JSON.stringify({ run_id: request.run_id, created_at: request.created_at.toISOString(), targets }) })
      const send = (event: RunEvent) => {
        if (stream.aborted) return
        const payload = event.type === 'result' ? { index: event.index, target: targets[event.index], result: event.result } : { ...event, target: targets[event.index] }
        void stream.writeSSE({ event: event.type, data: JSON.stringify(payload) })
      }
      const run = await executeRun(ctx, request, meta, { signal: controller.signal, onEvent: send })
      if (!stream.aborted) await stream.writeSSE({ event: 'done', data: JSON.stringify({ ...run, summary: summarizeRun(run.results) }) })
    })
  })

  return app
}
