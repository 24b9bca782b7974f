import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OpenAICompatibleAdapter } from '../../src/providers/openai-compatible.ts'
import { ProviderError } from '../../src/providers/errors.ts'
import type { ProviderEntry, ReportedUsage, StreamPart } from '../../src/providers/types.ts'
import {
  DONE_FRAME,
  chunk,
  finishChunk,
  sseData,
  startFakeUpstream,
  type FakeUpstream,
} from '../helpers/fake-upstream.ts'
import { TEST_KEY, compareResults, fakeConfig, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'

// The adapter against a real loopback upstream, through the real SDK, for wire formats with no recording.

let fake: FakeUpstream
let other: FakeUpstream

const provider = (baseURL: string, apiKey: string | undefined): ProviderEntry => ({
  id: 'fake',
  name: 'Fake',
  baseURL,
  pricing: 'fake',
  apiKey,
  keyStatus: apiKey ? 'config' : 'not_needed',
  models: [],
})

async function parts(
  model: string,
  options: { maxTokens?: number; temperature?: number; apiKey?: string | null } = {},
): Promise<StreamPart[]> {
  const adapter = new OpenAICompatibleAdapter({ connectTimeoutMs: 5000 })
  const out: StreamPart[] = []
  const p = provider(fake.url, options.apiKey === null ? undefined : (options.apiKey ?? TEST_KEY))
  for await (const part of adapter.stream({
    provider: p,
    model,
    messages: [{ role: 'user', content: 'hi' }],
    params: { max_tokens: options.maxTokens, temperature: options.temperature },
    signal: new AbortController().signal,
  })) {
    out.push(part)
  }
  return out
}

/** Contents of chunks that differ only there: read from the stream's template (see delta-template.ts). */
const SAME_ENVELOPE = [
  'Hello',
  ', ',
  'é😀',
  ' "quoted" ',
  '\\',
  '\n\t',
  'data: [DONE]',
  '',
  '"content":"x"',
  '\u2028',
  'end',
]

const usages = (ps: StreamPart[]) =>
  ps.filter((p): p is { type: 'usage'; usage: ReportedUsage } => p.type === 'usage').map((p) => p.usage)
const text = (ps: StreamPart[]) => ps.map((p) => (p.type === 'text-delta' ? p.text : '')).join('')
const reasoning = (ps: StreamPart[]) => ps.map((p) => (p.type === 'reasoning-delta' ? p.text : '')).join('')

beforeAll(async () => {
  fake = await startFakeUpstream()
  other = await startFakeUpstream()
  const m = 'gpt-4o-mini-2024-07-18'
  fake.script('openai-moderation', {
    kind: 'raw',
    frames: [
      sseData(chunk(m, { role: 'assistant', content: '' }, { usage: null })),
      sseData(chunk(m, { content: 'Hi' }, { usage: null })),
      sseData(finishChunk(m, 'stop', { usage: null })),
      sseData(chunk(m, null, { usage: { prompt_tokens: 8, completion_tokens: 1, total_tokens: 9 } })),
      // The moderation chunk comes after the usage chunk with usage: null; it must not erase the usage.
      sseData(chunk(m, null, { usage: null, moderation: { flagged: false } })),
      DONE_FRAME,
    ],
  })
  fake.script('gemini-cumulative', {
    kind: 'raw',
    frames: [
      sseData(
        chunk(
          'gemini-2.5-flash',
          { content: 'One', role: 'assistant' },
          { usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 } },
        ),
      ),
      sseData(
        chunk(
          'gemini-2.5-flash',
          { content: ' two' },
          { usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } },
        ),
      ),
      sseData(
        finishChunk('gemini-2.5-flash', 'stop', { usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } }),
      ),
      DONE_FRAME,
    ],
  })
  fake.script('mistral-thinking', {
    kind: 'raw',
    frames: [
      sseData({
        id: 'a'.repeat(32),
        object: 'chat.completion.chunk',
        created: 1,
        model: 'magistral-medium-latest',
        choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
      }),
      sseData({
        id: 'a'.repeat(32),
        object: 'chat.completion.chunk',
        created: 1,
        model: 'magistral-medium-latest',
        choices: [
          {
            index: 0,
            delta: { content: [{ type: 'thinking', thinking: [{ type: 'text', text: 'Capital of France' }] }] },
            finish_reason: null,
          },
        ],
      }),
      sseData({
        id: 'a'.repeat(32),
        object: 'chat.completion.chunk',
        created: 1,
        model: 'magistral-medium-latest',
        choices: [
          {
            index: 0,
            delta: { content: [{ type: 'thinking', thinking: [{ type: 'text', text: '? Paris.' }] }] },
            finish_reason: null,
          },
        ],
      }),
      sseData({
        id: 'a'.repeat(32),
        object: 'chat.completion.chunk',
        created: 1,
        model: 'magistral-medium-latest',
        choices: [{ index: 0, delta: { content: 'It is ' }, finish_reason: null }],
      }),
      sseData({
        id: 'a'.repeat(32),
        object: 'chat.completion.chunk',
        created: 1,
        model: 'magistral-medium-latest',
        choices: [{ index: 0, delta: { content: 'Paris.' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 10, total_tokens: 30, completion_tokens: 20 },
      }),
      DONE_FRAME,
    ],
  })
  fake.script('groq-x-only', {
    kind: 'raw',
    frames: [
      sseData(
        chunk('llama-3.3-70b-versatile', { role: 'assistant', content: '' }, { x_groq: { id: 'req_1', seed: 1 } }),
      ),
      sseData(chunk('llama-3.3-70b-versatile', { content: 'Hello' })),
      sseData(
        finishChunk('llama-3.3-70b-versatile', 'stop', {
          x_groq: {
            id: 'req_1',
            usage: {
              queue_time: 0.01,
              prompt_tokens: 40,
              prompt_time: 0.01,
              completion_tokens: 2,
              completion_time: 0.01,
              total_tokens: 42,
              total_time: 0.02,
            },
          },
        }),
      ),
      DONE_FRAME,
    ],
  })
  fake.script('deepseek-reasoner', {
    kind: 'raw',
    frames: [
      sseData(chunk('deepseek-v4-flash', { role: 'assistant', content: null, reasoning_content: '' }, { usage: null })),
      sseData(chunk('deepseek-v4-flash', { content: null, reasoning_content: 'Think.' }, { usage: null })),
      sseData(chunk('deepseek-v4-flash', { content: 'Answer.', reasoning_content: null }, { usage: null })),
      sseData(
        finishChunk('deepseek-v4-flash', 'stop', {
          usage: {
            prompt_tokens: 6,
            completion_tokens: 4,
            total_tokens: 10,
            prompt_cache_hit_tokens: 0,
            prompt_cache_miss_tokens: 6,
            completion_tokens_details: { reasoning_tokens: 2 },
          },
        }),
      ),
      DONE_FRAME,
    ],
  })
  fake.script('ollama-reasoning', {
    kind: 'raw',
    frames: [
      sseData({
        id: 'chatcmpl-150',
        object: 'chat.completion.chunk',
        created: 1,
        model: 'qwen3:0.6b',
        system_fingerprint: 'fp_ollama',
        choices: [{ index: 0, delta: { role: 'assistant', content: '', reasoning: 'Okay' }, finish_reason: null }],
      }),
      sseData({
        id: 'chatcmpl-150',
        object: 'chat.completion.chunk',
        created: 1,
        model: 'qwen3:0.6b',
        system_fingerprint: 'fp_ollama',
        choices: [{ index: 0, delta: { role: 'assistant', content: 'Paris' }, finish_reason: null }],
      }),
      sseData({
        id: 'chatcmpl-150',
        object: 'chat.completion.chunk',
        created: 1,
        model: 'qwen3:0.6b',
        system_fingerprint: 'fp_ollama',
        choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: 'stop' }],
      }),
      sseData({
        id: 'chatcmpl-150',
        object: 'chat.completion.chunk',
        created: 1,
        model: 'qwen3:0.6b',
        system_fingerprint: 'fp_ollama',
        choices: [],
        usage: { prompt_tokens: 136, completion_tokens: 15, total_tokens: 151 },
      }),
      DONE_FRAME,
    ],
  })
  fake.script('hostile-fields', {
    kind: 'raw',
    frames: [
      'event: execute\ndata: {"choices":[{"index":0,"delta":{"content":"A"}}]}\n\n',
      sseData(chunk('m', { content: 'data: [DONE]\n\nB', x_html: '<script>' }, { x_html: '<script>' })),
      sseData(chunk('m', { content: 'C' })),
      DONE_FRAME,
    ],
  })
  fake.script('same-envelope', {
    kind: 'raw',
    frames: [
      sseData(chunk('m', { role: 'assistant', content: '' })),
      ...SAME_ENVELOPE.map((content) => sseData(chunk('m', { content }))),
      // Read the general way: an Assistants event, another envelope, reasoning, then the template again.
      `event: thread.message.delta\ndata: ${JSON.stringify(chunk('m', { content: 'IGNORED' }))}\n\n`,
      sseData(chunk('m', { content: '<', refusal: null })),
      sseData(chunk('m', { content: 'R', reasoning_content: 'why' })),
      sseData(chunk('m', { content: '>' })),
      sseData(finishChunk('m', 'length')),
      DONE_FRAME,
    ],
  })
  fake.script('no-choices-at-all', {
    kind: 'raw',
    frames: [
      sseData({ id: 'x', object: 'chat.completion.chunk', model: 'm' }),
      sseData(chunk('m', { content: 'ok' })),
      DONE_FRAME,
    ],
  })
  other.script('stolen', { kind: 'text', deltas: ['should never be reached'] })
  fake.script('redirect-elsewhere', {
    kind: 'status',
    status: 307,
    headers: { location: `${other.url}/chat/completions` },
    body: '',
  })
})

afterAll(async () => {
  await fake?.close()
  await other?.close()
})

describe('OpenAICompatibleAdapter request', () => {
  it('streams with include_usage, the bearer key, the messages and params, and no SDK retries', async () => {
    const before = fake.requests.length
    await parts('text:3', { temperature: 0.3, maxTokens: 64 })
    const req = fake.requests[before]!
    expect(fake.requests.length).toBe(before + 1)
    expect(req.method).toBe('POST')
    expect(req.path).toBe('/v1/chat/completions')
    expect(req.headers.authorization).toBe(`Bearer ${TEST_KEY}`)
    expect(req.body).toMatchObject({
      model: 'text:3',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.3,
      max_tokens: 64,
    })
    expect(req.body).not.toHaveProperty('usage')
    expect(req.headers['x-stainless-retry-count']).toBe('0')
  })

  it('sends a placeholder key to keyless local servers', async () => {
    const before = fake.requests.length
    await parts('text:1', { apiKey: null })
    expect(fake.requests[before]!.headers.authorization).toBe('Bearer no-key')
  })

  it('never follows a redirect to another origin with the key', async () => {
    await expect(parts('redirect-elsewhere')).rejects.toBeInstanceOf(ProviderError)
    expect(other.requests.length).toBe(0)
  })
})

describe('OpenAICompatibleAdapter stream parsing', () => {
  it('reports the model, text, finish and usage of a plain stream', async () => {
    const ps = await parts('text:3')
    expect(ps[0]).toEqual({ type: 'model', model: 'text:3' })
    expect(text(ps)).toBe('w1 w2 w3')
    expect(ps.filter((p) => p.type === 'finish')).toEqual([{ type: 'finish', reason: 'stop' }])
    expect(usages(ps)).toEqual([{ input_tokens: 11, cached_input_tokens: 0, output_tokens: 3, reasoning_tokens: 0 }])
  })

  it('keeps the usage when a moderation chunk with usage: null follows it', async () => {
    const ps = await parts('openai-moderation')
    expect(usages(ps)).toEqual([{ input_tokens: 8, cached_input_tokens: 0, output_tokens: 1, reasoning_tokens: 0 }])
    expect(text(ps)).toBe('Hi')
  })

  it('yields cumulative per-chunk usage (Gemini) so that the last one wins, never a sum', async () => {
    const ps = await parts('gemini-cumulative')
    expect(usages(ps).map((u) => u.output_tokens)).toEqual([1, 2, 3])
    expect(ps.at(-1)).toEqual({
      type: 'usage',
      usage: { input_tokens: 5, cached_input_tokens: 0, output_tokens: 3, reasoning_tokens: 0 },
    })
  })

  it('splits Mistral thinking arrays into reasoning and later strings into text', async () => {
    const ps = await parts('mistral-thinking')
    expect(reasoning(ps)).toBe('Capital of France? Paris.')
    expect(text(ps)).toBe('It is Paris.')
    expect(usages(ps)).toEqual([{ input_tokens: 10, cached_input_tokens: 0, output_tokens: 20, reasoning_tokens: 0 }])
    expect(ps.some((p) => p.type === 'finish' && p.reason === 'stop')).toBe(true)
  })

  it('reads Groq usage from x_groq alone', async () => {
    const ps = await parts('groq-x-only')
    expect(usages(ps)).toEqual([{ input_tokens: 40, cached_input_tokens: 0, output_tokens: 2, reasoning_tokens: 0 }])
  })

  it('reports the model the upstream answered with (DeepSeek alias period)', async () => {
    const ps = await parts('deepseek-reasoner')
    expect(ps.filter((p) => p.type === 'model')).toEqual([{ type: 'model', model: 'deepseek-v4-flash' }])
    expect(reasoning(ps)).toBe('Think.')
    expect(text(ps)).toBe('Answer.')
    expect(usages(ps)[0]?.reasoning_tokens).toBe(2)
  })

  it('reads Ollama `reasoning` deltas and the choices: [] usage chunk', async () => {
    const ps = await parts('ollama-reasoning')
    expect(reasoning(ps)).toBe('Okay')
    expect(text(ps)).toBe('Paris')
    expect(usages(ps)).toEqual([{ input_tokens: 136, cached_input_tokens: 0, output_tokens: 15, reasoning_tokens: 0 }])
  })

  it('reads chunks that differ only in their content exactly, escapes included, and the others as before', async () => {
    const ps = await parts('same-envelope')
    expect(text(ps)).toBe(`${SAME_ENVELOPE.join('')}<R>`)
    expect(reasoning(ps)).toBe('why')
    const deltas = ps.filter((p) => p.type === 'text-delta').map((p) => (p as { text: string }).text)
    expect(deltas).toEqual([...SAME_ENVELOPE.filter((c) => c !== ''), '<', 'R', '>'])
    expect(ps.filter((p) => p.type === 'model')).toEqual([{ type: 'model', model: 'm' }])
    expect(ps.filter((p) => p.type === 'finish')).toEqual([{ type: 'finish', reason: 'length' }])
  })

  it('reads only content from hostile chunks; "data: [DONE]" inside content does not end the stream', async () => {
    const ps = await parts('hostile-fields')
    expect(text(ps)).toBe('Adata: [DONE]\n\nBC')
  })

  it('refuses a 200 answer without stream events (JSON that ignored `stream`, an HTML page)', async () => {
    fake.script('html-page', {
      kind: 'status',
      status: 200,
      body: '<html>Welcome to nginx!</html>',
      headers: { 'content-type': 'text/html' },
    })
    for (const [model, type] of [
      ['fixture:openai_gpt-4.1-nano_nonstream.json', 'application/json'],
      ['html-page', 'text/html'],
    ] as const) {
      const error = await parts(model).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ProviderError)
      expect(error).toMatchObject({ kind: 'upstream', status: 200 })
      expect((error as ProviderError).message).toContain(`content-type: ${type}`)
    }
  })

  it('accepts a stream whose only event is an empty finish (an empty answer is still an answer)', async () => {
    fake.script('empty-answer', { kind: 'raw', frames: [sseData(finishChunk('m', 'content_filter')), DONE_FRAME] })
    expect(await parts('empty-answer')).toEqual([
      { type: 'model', model: 'm' },
      { type: 'finish', reason: 'content_filter' },
    ])
  })

  it('tolerates chunks without choices', async () => {
    expect(text(await parts('no-choices-at-all'))).toBe('ok')
  })
})

describe('usage across chunk orders, through the engine', () => {
  let juxta: RunningJuxta
  beforeAll(async () => {
    fake.script('usage-on-finish', { kind: 'text', deltas: 4, usage: 'finish-chunk' })
    fake.script('usage-choices-empty', { kind: 'text', deltas: 4, usage: 'choices-empty' })
    fake.script('usage-after-finish', { kind: 'text', deltas: 4, usage: 'after-finish' })
    fake.script('usage-then-more-chunks', {
      kind: 'raw',
      frames: [
        sseData(chunk('m', { content: 'a' })),
        sseData(finishChunk('m', 'stop')),
        sseData(
          chunk('m', null, {
            usage: {
              prompt_tokens: 9,
              completion_tokens: 1,
              total_tokens: 10,
              prompt_tokens_details: { cached_tokens: 0 },
            },
          }),
        ),
        sseData(chunk('m', { content: '' }, { usage: null })),
        sseData(chunk('m', null, {})),
        DONE_FRAME,
      ],
    })
    fake.script('usage-none', { kind: 'text', deltas: ['Hello', ' world'], usage: 'none' })
    juxta = await startJuxta({
      config: fakeConfig({
        p: {
          base_url: fake.url,
          models: [
            'usage-on-finish',
            'usage-choices-empty',
            'usage-after-finish',
            'usage-then-more-chunks',
            'usage-none',
            'gemini-cumulative',
          ],
        },
      }),
    })
  })
  afterAll(async () => {
    await juxta?.close()
  })

  it('gives the same reported usage wherever it rides', async () => {
    const results = await compareResults(juxta.url, 'q', [
      'p/usage-on-finish',
      'p/usage-choices-empty',
      'p/usage-after-finish',
    ])
    for (const r of results) {
      expect(r.usage).toEqual({
        input_tokens: 11,
        cached_input_tokens: 0,
        output_tokens: 4,
        reasoning_tokens: 0,
        source: 'reported',
      })
      expect(r.finish_reason).toBe('stop')
      expect(r.text).toBe('w1 w2 w3 w4')
    }
  })

  it('keeps the last non-null usage when later chunks carry none', async () => {
    const [r] = await compareResults(juxta.url, 'q', ['p/usage-then-more-chunks'])
    expect(r!.usage).toEqual({
      input_tokens: 9,
      cached_input_tokens: 0,
      output_tokens: 1,
      reasoning_tokens: 0,
      source: 'reported',
    })
  })

  it('keeps the last cumulative usage instead of summing', async () => {
    const [r] = await compareResults(juxta.url, 'q', ['p/gemini-cumulative'])
    expect(r!.usage.output_tokens).toBe(3)
    expect(r!.usage.input_tokens).toBe(5)
  })

  it('estimates usage when none is reported, and says so', async () => {
    const [r] = await compareResults(juxta.url, 'q', ['p/usage-none'])
    expect(r!.usage.source).toBe('estimated')
    expect(r!.usage.output_tokens).toBe(2) // "Hello", " world" in o200k_base
    expect(r!.usage.cached_input_tokens).toBeNull()
    expect(r!.usage.input_tokens).toBeGreaterThan(0)
  })
})
