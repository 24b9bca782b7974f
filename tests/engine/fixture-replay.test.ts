import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFixture, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { compareResults, fakeConfig, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { ConfigPricer } from '../../src/pricing/config-pricer.ts'
import type { PriceQuery, Pricer } from '../../src/pricing/types.ts'
import type { Cost } from '../../src/domain/types.ts'

// Every recorded stream replayed byte for byte through the real SDK, adapter, engine and JSON API.

interface Expected {
  file: string
  model: string
  finish: string
  usage: { input_tokens: number; cached_input_tokens: number; output_tokens: number; reasoning_tokens: number }
  text: { start: string; end: string; length: number }
  reasoning: { start: string; length: number }
}

const STREAMS: Expected[] = [
  {
    file: 'deepseek-reasoner_stream_usage_2025-07.sse',
    model: 'deepseek-reasoner',
    finish: 'stop',
    usage: { input_tokens: 6, cached_input_tokens: 0, output_tokens: 212, reasoning_tokens: 198 },
    text: {
      start: 'Hello there! 😊',
      end: 'How can I help you today?',
      length: 'Hello there! 😊 How can I help you today?'.length,
    },
    reasoning: { start: 'Hmm, the user just said "Hello".', length: 882 },
  },
  {
    file: 'openai_gpt-4o-mini_stream_include-usage.sse',
    model: 'gpt-4o-mini-2024-07-18',
    finish: 'stop',
    usage: { input_tokens: 78, cached_input_tokens: 0, output_tokens: 9, reasoning_tokens: 0 },
    text: { start: 'The capital of the UK is London.', end: 'London.', length: 32 },
    reasoning: { start: '', length: 0 },
  },
  {
    file: 'openrouter_claude_stream_reasoning_processing-comments_cost.sse',
    model: 'anthropic/claude-sonnet-4.5',
    // The finish chunk says "stop"; the usage chunk after it has finish_reason null and must not erase it.
    finish: 'stop',
    usage: { input_tokens: 43, cached_input_tokens: 0, output_tokens: 36, reasoning_tokens: 13 },
    text: { start: '2 + 2 = 4', end: '2 + 2 = 4', length: 9 },
    reasoning: { start: 'This is a simple arithmetic question. 2+2 equals 4.', length: 51 },
  },
  {
    file: 'groq_gpt-oss-120b_stream_x_groq-usage.sse',
    model: 'openai/gpt-oss-120b',
    finish: 'stop',
    // Usage arrives twice on the finish chunk (usage and x_groq.usage): counted once.
    usage: { input_tokens: 339, cached_input_tokens: 0, output_tokens: 58, reasoning_tokens: 38 },
    text: { start: 'The tool returned the expected result for the valid call.', end: 'valid call.', length: 57 },
    reasoning: { start: 'The user wants to test error handling', length: 176 },
  },
  {
    file: 'deepseek-chat_stream_length_2025-12.chunks.jsonl',
    model: 'deepseek-chat',
    finish: 'length',
    usage: { input_tokens: 13, cached_input_tokens: 0, output_tokens: 400, reasoning_tokens: 0 },
    text: {
      start: '## **Holiday Name:** Starlight Remembrance',
      end: 'observe 15 minutes of silent looking at',
      length: 1855,
    },
    reasoning: { start: '', length: 0 },
  },
  {
    // One streamed chunk from llama-server (finish + usage + timings), served as a one-chunk stream.
    file: 'llamacpp_gpt-oss-20b_final-chunk_usage-timings_b6097.json',
    model: 'gpt-oss:20b',
    finish: 'stop',
    usage: { input_tokens: 1085, cached_input_tokens: 0, output_tokens: 247, reasoning_tokens: 0 },
    text: { start: '', end: '', length: 0 },
    reasoning: { start: '', length: 0 },
  },
]

/** Records what the engine hands the pricer (the pricing helper owns what it does with it). */
class SpyPricer implements Pricer {
  readonly queries: PriceQuery[] = []
  private readonly inner = new ConfigPricer()
  price(query: PriceQuery): Cost {
    this.queries.push(query)
    return this.inner.price(query)
  }
}

let fake: FakeUpstream
let juxta: RunningJuxta
const pricer = new SpyPricer()

beforeAll(async () => {
  fake = await startFakeUpstream()
  fake.script('llamacpp-final-chunk', {
    kind: 'fixture',
    file: 'llamacpp_gpt-oss-20b_final-chunk_usage-timings_b6097.json',
    mode: 'chunks',
  })
  const models = STREAMS.map((s) => (s.file.startsWith('llamacpp') ? 'llamacpp-final-chunk' : `fixture:${s.file}`))
  juxta = await startJuxta({ config: fakeConfig({ rec: { base_url: fake.url, models } }), pricer })
})

afterAll(async () => {
  await juxta?.close()
  await fake?.close()
})

const targetOf = (s: Expected) => (s.file.startsWith('llamacpp') ? 'rec/llamacpp-final-chunk' : `rec/fixture:${s.file}`)

describe('fixture replay through the SDK and engine', () => {
  it('serves the .sse fixtures byte for byte', async () => {
    for (const s of STREAMS.filter((x) => x.file.endsWith('.sse'))) {
      const res = await fetch(`${fake.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: `fixture:${s.file}`, stream: true, messages: [] }),
      })
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
      expect(Buffer.from(await res.arrayBuffer()).equals(readFixture(s.file))).toBe(true)
    }
  })

  it('wraps .jsonl chunks as data: lines and appends [DONE]', async () => {
    const res = await fetch(`${fake.url}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'fixture:deepseek-chat_stream_length_2025-12.chunks.jsonl', messages: [] }),
    })
    const body = await res.text()
    const lines = readFixture('deepseek-chat_stream_length_2025-12.chunks.jsonl')
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
    expect(body).toBe(`${lines.map((l) => `data: ${l}\n\n`).join('')}data: [DONE]\n\n`)
  })

  it.each(STREAMS)('$file gives the recorded usage, text, finish reason and model', async (s) => {
    const [result] = await compareResults(juxta.url, 'replay', [targetOf(s)])
    expect(result).toBeDefined()
    expect(result!.status).toBe('ok')
    expect(result!.error).toBeNull()
    expect(result!.usage).toEqual({ ...s.usage, source: 'reported' })
    expect(result!.finish_reason).toBe(s.finish)
    expect(result!.model).toBe(s.model)
    expect(result!.text.length).toBe(s.text.length)
    expect(result!.text.startsWith(s.text.start)).toBe(true)
    expect(result!.text.endsWith(s.text.end)).toBe(true)
    expect(result!.reasoning.length).toBe(s.reasoning.length)
    expect(result!.reasoning.startsWith(s.reasoning.start)).toBe(true)
    expect(result!.attempts).toBe(1)
    if (s.text.length > 0 || s.reasoning.length > 0) expect(result!.timing.ttft_ms).not.toBeNull()
    else expect(result!.timing.ttft_ms).toBeNull()
  })

  it('never shows [object Object] or reasoning inside the answer', async () => {
    const results = await compareResults(juxta.url, 'replay', STREAMS.map(targetOf))
    for (const r of results) {
      expect(r.text).not.toContain('[object Object]')
      expect(r.reasoning).not.toContain('[object Object]')
    }
    const deepseek = results[0]!
    expect(deepseek.text).not.toContain('Hmm, the user')
  })

  it('replays all streams in one compare with each column matching its own recording', async () => {
    const results = await compareResults(juxta.url, 'replay', STREAMS.map(targetOf))
    expect(results.map((r) => r.target)).toEqual(STREAMS.map(targetOf))
    results.forEach((r, i) => {
      expect(r.usage).toEqual({ ...STREAMS[i]!.usage, source: 'reported' })
      expect(r.model).toBe(STREAMS[i]!.model)
    })
  })

  it('hands the OpenRouter usage.cost to the pricer as the reported cost', async () => {
    pricer.queries.length = 0
    const s = STREAMS[2]!
    await compareResults(juxta.url, 'replay', [targetOf(s), targetOf(STREAMS[1]!)])
    const openrouter = pricer.queries.find((q) => q.model.id === `fixture:${s.file}`)
    const openai = pricer.queries.find((q) => q.model.id === `fixture:${STREAMS[1]!.file}`)
    expect(openrouter?.reportedCostUsd).toBe(0.000669)
    expect(openrouter?.reportedModel).toBe('anthropic/claude-sonnet-4.5')
    expect(openrouter?.usage.output_tokens).toBe(36)
    // A provider that reports no cost gives null, never 0.
    expect(openai?.reportedCostUsd).toBeNull()
  })
})
