import { Hono } from 'hono'
import type { AppContext } from '../context.ts'
import { buildRequest } from '../engine/run-service.ts'
import { estimateRun } from '../pricing/estimate.ts'
import { toRunInput } from './api.ts'
import { compareBodySchema, issuesOf } from './compare-input.ts'

/** POST /api/estimate: the cost range of a compare body before sending it. Never calls an upstream. */
export function estimateRoutes(ctx: AppContext): Hono {
  const app = new Hono()
  app.post('/estimate', async (c) => {
    let raw: unknown
    try {
      raw = await c.req.json()
    } catch {
      return c.json({ error: { message: 'request body must be JSON', issues: [] } }, 400)
    }
    const parsed = compareBodySchema(ctx.catalog(), ctx.settings.max_targets).safeParse(raw)
    if (!parsed.success) {
      return c.json({ error: { message: 'invalid estimate request', issues: issuesOf(parsed.error) } }, 422)
    }
    const request = buildRequest(toRunInput(parsed.data))
    const catalog = ctx.catalog()
    const targets = request.targets.map((t) => ({ entry: catalog.find(t.target)!, messages: t.messages }))
    return c.json(await estimateRun(ctx.pricer, targets, parsed.data.max_tokens, request.created_at))
  })
  return app
}
