import { Hono } from 'hono'
import type { AppContext } from '../context.ts'
import { buildRequest } from '../engine/run-service.ts'
import { estimateRun, type RunEstimate } from '../pricing/estimate.ts'
import { type CompareBody, compareBodyOrError } from './compare-input.ts'

/** The cost range of a validated compare body, for the API and the page alike. Never calls an upstream. */
export function estimateBody(
  ctx: AppContext,
  body: CompareBody,
  imageCount = body.images?.length ?? 0,
): Promise<RunEstimate> {
  const request = buildRequest({ prompt: body.prompt, system: body.system, targets: body.targets, params: {} })
  const catalog = ctx.catalog()
  const targets = request.targets.map((t) => ({ entry: catalog.find(t.target)!, messages: t.messages }))
  return estimateRun(ctx.pricer, targets, { maxTokens: body.max_tokens, at: request.created_at, imageCount })
}

/** POST /api/estimate: the cost range of a compare body before sending it. */
export function estimateRoutes(ctx: AppContext): Hono {
  const app = new Hono()
  app.post('/estimate', async (c) => {
    const body = await compareBodyOrError(c, ctx, 'estimate')
    return body instanceof Response ? body : c.json(await estimateBody(ctx, body))
  })
  return app
}
