import { Hono } from 'hono'
import { z } from 'zod'
import type { DemoSimulator } from '../demo/simulator.ts'
import type { ChatMessage, ContentPart } from '../providers/types.ts'

const Part = z.union([
  z.looseObject({ type: z.literal('text'), text: z.string() }),
  z.looseObject({ type: z.literal('image_url'), image_url: z.looseObject({ url: z.string() }) }),
])
// Only user messages may carry parts (images), as in the OpenAI API.
const Message = z.union([
  z.looseObject({ role: z.enum(['system', 'assistant']), content: z.string() }),
  z.looseObject({ role: z.literal('user'), content: z.union([z.string(), z.array(Part).min(1)]) }),
])

const Body = z.looseObject({
  model: z.string().min(1),
  messages: z.array(Message).min(1),
  stream: z.boolean().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: z.number().int().positive().optional(),
  max_completion_tokens: z.number().int().positive().optional(),
})

const error = (status: 400 | 404, message: string, type: string) =>
  Response.json({ error: { message, type, param: null, code: null } }, { status })

function toMessage(m: z.infer<typeof Message>): ChatMessage {
  if (m.role !== 'user') return { role: m.role, content: m.content }
  if (typeof m.content === 'string') return { role: 'user', content: m.content }
  const parts = m.content.map(
    (p): ContentPart =>
      p.type === 'text' ? { type: 'text', text: p.text } : { type: 'image_url', image_url: { url: p.image_url.url } },
  )
  return { role: 'user', content: parts }
}

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
        messages: b.messages.map(toMessage),
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
