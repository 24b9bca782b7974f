import { Hono } from 'hono'
import { z } from 'zod'
import type { DemoSimulator } from '../demo/simulator.ts'

const Body = z.looseObject({
  model: z.string().min(1),
  messages: z.array(z.looseObject({ role: z.enum(['system', 'user', 'assistant']), content: z.string() })).min(1),
  stream: z.boolean().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: z.number().int().positive().optional(),
  max_completion_tokens: z.number().int().positive().optional(),
})

const error = (status: 400 | 404, message: string, type: string) =>
  Response.json({ error: { message, type, param: null, code: null } }, { status })

/** The built-in demo provider: an OpenAI-compatible endpoint served by Juxta itself. */
export function demoRoutes(simulator: DemoSimulator, models: () => string[]): Hono {
  const app = new Hono()
  app.get('/v1/models', (c) =>
    c.json({ object: 'list', data: models().map((id) => ({ id, object: 'model', owned_by: 'juxta-demo' })) }),
  )
  app.post('/v1/chat/completions', async (c) => {
    const parsed = Body.safeParse(await c.req.json().catch(() => null))
    if (!parsed.success) return error(400, 'invalid request body', 'invalid_request_error')
    const b = parsed.data
    const response = await simulator.respond(
      {
        model: b.model,
        messages: b.messages.map((m) => ({ role: m.role, content: m.content })),
        stream: b.stream === true,
        includeUsage: b.stream_options?.include_usage === true,
        maxTokens: b.max_completion_tokens ?? b.max_tokens,
      },
      c.req.raw.signal,
    )
    return response ?? error(404, `The model \`${b.model}\` does not exist`, 'invalid_request_error')
  })
  return app
}
