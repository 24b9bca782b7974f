import { Hono } from 'hono'
import type { AppContext } from '../context.ts'
import { redactSecrets } from '../providers/redact.ts'
import { buildRequest, executeRun } from '../engine/run-service.ts'
import type { RunEvent } from '../engine/types.ts'
import { compareBodyOrError, toRunInput } from './compare-input.ts'
import { apiErrorBody } from '../http/api-error.ts'
import { runResponse } from '../engine/run-response.ts'
import { PAGE_WAIT_MS } from '../providers/reachability.ts'
import { targetList } from '../providers/target-list.ts'
import { abortSoon, cutUpstreams } from '../http/upstream-cut.ts'
import { type LiveRun, RunRegistry } from '../web/run-registry.ts'
import { EVENT_STREAM_HEADERS, nodeEventStream, nodeResponseOf, webEventStream } from '../http/event-stream.ts'
// Made when this module loads, before `serve()` swaps the global Response for its own: a sentinel made after
// would be answered as a response, its headers written twice. Keep this route loaded before listening.
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'

/** 429 for a run over `run.max_concurrent_runs`, with Retry-After. */
function busy(ctx: AppContext): Response {
  return Response.json(apiErrorBody(ctx.runSlots.busyMessage()), {
    status: 429,
    headers: { 'retry-after': String(ctx.runSlots.retryAfterSeconds) },
  })
}

/** JSON API: list targets, run a compare (whole or streamed). */
export function apiRoutes(ctx: AppContext, registry = new RunRegistry()): Hono {
  const app = new Hono()

  app.get('/targets', async (c) => {
    const catalog = ctx.catalog()
    const reach = await ctx.reachability.settle(catalog.providers, { maxWaitMs: PAGE_WAIT_MS })
    return c.json(targetList(catalog, reach))
  })

  app.post('/compare', async (c) => {
    const body = await compareBodyOrError(c, ctx, 'compare')
    if (body instanceof Response) return body
    // Refused before anything is recorded: a run over the cap leaves no trace in history.
    const release = ctx.runSlots.tryAcquire()
    if (!release) return busy(ctx)
    const input = toRunInput(body)
    const request = buildRequest(input)
    const meta = { prompt: input.prompt, system: input.system ?? null, parent_id: null, images: input.images }
    const controller = new AbortController()
    // The upstream connections close first, for every client that left in this turn; the abort's longer
    // chain (SDK, undici, engine, history) follows a turn later (`npm run bench`, mass abort).
    let gone = false
    const onClientGone = () => {
      if (gone) return
      gone = true
      cutUpstreams(controller.signal)
      abortSoon(controller)
    }
    c.req.raw.signal.addEventListener('abort', onClientGone, { once: true })
    // A client that left while the request was being read: its abort has fired already.
    if (c.req.raw.signal.aborted) onClientGone()
    // Held while it runs, so that Stop may come from any instance (src/live); let go at its end (an API client
    // keeps its results: holding every API run's answers would grow the process).
    const live: LiveRun = {
      request,
      meta,
      controller,
      results: request.targets.map(() => undefined),
      retries: new Map(),
      done: false,
      turn: 1,
    }
    registry.add(live)

    if (!body.stream) {
      try {
        const run = await executeRun(ctx, request, meta, { signal: controller.signal })
        return c.json(runResponse(run))
      } finally {
        registry.delete(live)
        release()
        c.req.raw.signal.removeEventListener('abort', onClientGone)
      }
    }

    for (const [name, value] of EVENT_STREAM_HEADERS) c.header(name, value)
    // Served by @hono/node-server: written straight to its response, with every header set so far (the security
    // headers among them; read without touching `c.res`, which Hono would then copy into a response that
    // @hono/node-server sends again); else (`app.request()`) as a web stream.
    const outgoing = nodeResponseOf(c.env)
    const web = outgoing ? null : webEventStream(onClientGone)
    const stream = outgoing
      ? nodeEventStream(outgoing, Object.fromEntries(c.newResponse(null).headers), onClientGone)
      : web!
    const targets = request.targets.map((t) => t.target)
    stream.send(
      'run',
      JSON.stringify({ run_id: request.run_id, created_at: request.created_at.toISOString(), targets }),
    )
    const targetJson = targets.map((t) => JSON.stringify(t))
    const send = (event: RunEvent) => {
      if (stream.isClosed()) return
      // The per-token event, written directly: the same JSON as the general case below, without a copy per token.
      if (event.type === 'delta') {
        const text = JSON.stringify(event.text)
        const target = targetJson[event.index]
        return stream.send(
          'delta',
          `{"type":"delta","index":${event.index},"kind":"${event.kind}","text":${text},"target":${target}}`,
        )
      }
      const payload =
        event.type === 'result'
          ? { index: event.index, target: targets[event.index], result: event.result }
          : { ...event, target: targets[event.index] }
      stream.send(event.type, JSON.stringify(payload))
    }
    executeRun(ctx, request, meta, { signal: controller.signal, onEvent: send })
      .then((run) => stream.send('done', JSON.stringify(runResponse(run))))
      .catch((err: unknown) => {
        const detail = err instanceof Error ? (err.stack ?? err.message) : String(err)
        ctx.log(`error streaming run ${request.run_id}: ${redactSecrets(detail, ctx.secrets())}`)
      })
      .finally(() => {
        registry.delete(live)
        release()
        stream.close()
      })
    if (!web) return RESPONSE_ALREADY_SENT
    // Chunked from the start: without it @hono/node-server waits a timer tick to try for a Content-Length.
    c.header('Transfer-Encoding', 'chunked')
    return c.newResponse(web.body)
  })

  return app
}
