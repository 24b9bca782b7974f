import { type Context, Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import type { AppContext } from '../context.ts'
import { RunIdSchema } from '../storage/export-format.ts'
import { ApiEventView } from '../live/api-events.ts'
import { ENTRY_ID, type LiveEntry, type RunStartEvent } from '../live/types.ts'
import { apiError } from '../http/api-error.ts'
import { isHidden } from '../web/blind-state.ts'
import { streamAttach } from '../web/live-attach.tsx'
import { followUntilOver } from '../web/follow-until-over.ts'
import { asResult } from '../web/run-view-data.ts'
import { runResponse } from '../engine/run-response.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A run's live log, when it has one that starts as it should. */
async function liveLog(ctx: AppContext, runId: string): Promise<{ entries: LiveEntry[]; start: RunStartEvent } | null> {
  const entries = await ctx.live.events.read(runId).catch(() => null)
  const start = entries?.[0]?.event
  return entries && start?.type === 'start' ? { entries, start } : null
}

const lastEventIdOf = (c: Context): string | undefined => {
  const id = c.req.header('Last-Event-ID')
  return id && ENTRY_ID.test(id) ? id : undefined
}

/** Attach to a running run from any instance: the page's live partials and the API's event stream. */
export function liveRunRoutes(ctx: AppContext): Hono {
  const app = new Hono()

  // The run page's SSE source (hx-sse:connect): the run so far, then live partials, `done` at its end.
  app.get('/runs/:id/live', async (c) => {
    const id = RunIdSchema.safeParse(c.req.param('id'))
    const log = id.success ? await liveLog(ctx, id.data) : null
    c.header('X-Accel-Buffering', 'no')
    return streamSSE(c, async (stream) => {
      // Nothing live (ended long ago, or on no live instance): the page keeps what history showed.
      if (!log) return void (await stream.writeSSE({ event: 'done', data: '' }))
      const runId = log.start.run_id
      const turn = (await ctx.store?.getRun(runId))?.turn ?? 1
      await streamAttach(stream, {
        ctx,
        entries: log.entries,
        start: log.start,
        blind: await isHidden(ctx, runId),
        turn,
        lastEventId: lastEventIdOf(c),
      })
    })
  })

  // The API's events of a run (the shapes of `POST /api/compare`'s stream), with `id:` lines to resume from.
  app.get('/api/runs/:id/events', async (c) => {
    const id = RunIdSchema.safeParse(c.req.param('id'))
    if (!id.success) return apiError(c, 422, 'not a run id')
    const runId = id.data
    if (await isHidden(ctx, runId)) return apiError(c, 409, 'hidden until the vote on this blind run')
    const log = await liveLog(ctx, runId)
    c.header('X-Accel-Buffering', 'no')
    if (!log) {
      // Not live anywhere: what history holds, as one finished stream.
      const stored = await ctx.store?.getRun(runId)
      if (!stored) return apiError(c, 404, 'run not found')
      return streamSSE(c, async (stream) => {
        const targets = stored.targets
        await stream.writeSSE({
          event: 'run',
          data: JSON.stringify({ run_id: runId, created_at: stored.created_at, targets, status: stored.status }),
        })
        const results = stored.results.map(asResult)
        for (const [index, result] of results.entries()) {
          await stream.writeSSE({ event: 'result', data: JSON.stringify({ index, target: targets[index], result }) })
        }
        const run = { run_id: runId, created_at: stored.created_at, results }
        await stream.writeSSE({ event: 'done', data: JSON.stringify(runResponse(run)) })
      })
    }
    const after = lastEventIdOf(c)
    return streamSSE(c, async (stream) => {
      const controller = new AbortController()
      stream.onAbort(() => controller.abort())
      const view = new ApiEventView(log.start)
      const seen = after ? log.entries.findIndex((e) => e.id === after) : -1
      view.apply(log.entries.slice(0, seen + 1), false)
      const send = async (entries: LiveEntry[]) => {
        for (const message of view.apply(entries)) await stream.writeSSE(message)
        return entries.some((e) => e.event.type === 'end')
      }
      if (await send(log.entries.slice(seen + 1))) return
      const { signal } = controller
      const from = log.entries.at(-1)!.id
      const events = ctx.live.events
      for await (const batch of followUntilOver({ events, store: ctx.store, runId, after: from, signal })) {
        if (await send(batch)) return
        await sleep(50)
      }
    })
  })

  return app
}
