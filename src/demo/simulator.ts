import type { Simulation } from '../config/schema.ts'
import type { ChatMessage } from '../providers/types.ts'
import { countPromptTokens, loadTokenCounter } from '../tokens/token-count.ts'
import { demoAnswer, demoReasoning, hash, padAnswer } from './answer.ts'

export interface SimulatedRequest {
  model: string
  messages: ChatMessage[]
  stream: boolean
  includeUsage: boolean
  maxTokens?: number
}

interface Piece {
  kind: 'text' | 'reasoning'
  text: string
  tokens: number
}

/** Splits text into word-sized deltas with their token counts, so usage is the sum of what was streamed. */
async function pieces(kind: Piece['kind'], text: string): Promise<Piece[]> {
  const count = await loadTokenCounter()
  return (text.match(/\s*\S+/g) ?? []).map((t) => ({ kind, text: t, tokens: Math.max(1, count(t)) }))
}

/**
 * A deterministic OpenAI-compatible model: DeepSeek-style reasoning deltas, then answer deltas, paced by
 * the profile with deadline-anchored timers (no drift), and usage counted from the streamed text. Prefix
 * caching is simulated like DeepSeek's: a conversation prefix seen before is a cache hit, in 64-token units.
 */
export class DemoSimulator {
  private readonly seenPrefixes = new Set<number>()

  constructor(private readonly profiles: (model: string) => Simulation | undefined) {}

  async plan(req: SimulatedRequest) {
    const profile = this.profiles(req.model)
    if (!profile) return undefined
    let answer = demoAnswer(req.messages, req.model)
    if (profile.answer_tokens) answer = padAnswer(answer, profile.answer_tokens)
    let all = [
      ...(await pieces('reasoning', demoReasoning(req.messages, req.model, profile.reasoning_tokens))),
      ...(await pieces('text', answer)),
    ]
    let finish = 'stop'
    if (req.maxTokens !== undefined) {
      let budget = req.maxTokens
      const kept: Piece[] = []
      for (const p of all) {
        if (budget - p.tokens < 0) {
          finish = 'length'
          break
        }
        budget -= p.tokens
        kept.push(p)
      }
      all = kept
    }
    const inputTokens = await countPromptTokens(req.messages)
    const cached = await this.cachedTokens(req.messages)
    const outputTokens = all.reduce((n, p) => n + p.tokens, 0)
    const reasoningTokens = all.filter((p) => p.kind === 'reasoning').reduce((n, p) => n + p.tokens, 0)
    return {
      profile,
      pieces: all,
      finish,
      usage: {
        prompt_tokens: inputTokens,
        completion_tokens: outputTokens,
        total_tokens: inputTokens + outputTokens,
        prompt_tokens_details: { cached_tokens: Math.min(cached, inputTokens) },
        completion_tokens_details: { reasoning_tokens: reasoningTokens },
      },
    }
  }

  private async cachedTokens(messages: ChatMessage[]): Promise<number> {
    let cached = 0
    for (let n = messages.length - 1; n >= 1; n--) {
      const key = hash(JSON.stringify(messages.slice(0, n)))
      if (this.seenPrefixes.has(key)) {
        cached = Math.floor((await countPromptTokens(messages.slice(0, n))) / 64) * 64
        break
      }
    }
    for (let n = 1; n <= messages.length; n++) this.seenPrefixes.add(hash(JSON.stringify(messages.slice(0, n))))
    if (this.seenPrefixes.size > 10_000) this.seenPrefixes.clear()
    return cached
  }

  /** The response body: SSE when streaming, else one JSON completion after the simulated time. */
  async respond(req: SimulatedRequest, signal: AbortSignal): Promise<Response | undefined> {
    const plan = await this.plan(req)
    if (!plan) return undefined
    const id = `demo-${hash(JSON.stringify(req.messages)).toString(16)}`
    const created = Math.floor(Date.now() / 1000)
    const base = { id, object: 'chat.completion.chunk', created, model: req.model }
    const { ttft_ms, tokens_per_s } = plan.profile
    const msPerToken = 1000 / tokens_per_s

    if (!req.stream) {
      const tokens = plan.pieces.reduce((n, p) => n + p.tokens, 0)
      await delay(ttft_ms + tokens * msPerToken, signal)
      const text = plan.pieces
        .filter((p) => p.kind === 'text')
        .map((p) => p.text)
        .join('')
      const reasoning = plan.pieces
        .filter((p) => p.kind === 'reasoning')
        .map((p) => p.text)
        .join('')
      return Response.json({
        ...base,
        object: 'chat.completion',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: text, ...(reasoning ? { reasoning_content: reasoning } : {}) },
            finish_reason: plan.finish,
          },
        ],
        usage: plan.usage,
      })
    }

    const encoder = new TextEncoder()
    const frame = (body: unknown) => encoder.encode(`data: ${JSON.stringify(body)}\n\n`)
    const start = performance.now()
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        try {
          controller.enqueue(
            frame({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }),
          )
          let due = ttft_ms
          for (const piece of plan.pieces) {
            // Anchored to the stream start so timer lateness does not accumulate.
            await delay(start + due - performance.now(), signal)
            const delta =
              piece.kind === 'text' ? { content: piece.text } : { content: null, reasoning_content: piece.text }
            controller.enqueue(frame({ ...base, choices: [{ index: 0, delta, finish_reason: null }] }))
            due += piece.tokens * msPerToken
          }
          controller.enqueue(frame({ ...base, choices: [{ index: 0, delta: {}, finish_reason: plan.finish }] }))
          if (req.includeUsage) controller.enqueue(frame({ ...base, choices: [], usage: plan.usage }))
          controller.enqueue(encoder.encode('data: [DONE]\n\n'))
          controller.close()
        } catch (err) {
          // The client went away: end the body with an error so a reader never waits for more.
          controller.error(err)
        }
      },
    })
    return new Response(body, {
      headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' },
    })
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(new Error('aborted'))
  if (ms <= 0) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(new Error('aborted'))
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
