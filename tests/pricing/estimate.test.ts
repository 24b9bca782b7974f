import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { countPromptTokens } from '../../src/tokens/token-count.ts'
import { ASSUMED_MAX_OUTPUT_TOKENS, estimateRun, type RunEstimate } from '../../src/pricing/estimate.ts'
import { PriceBook } from '../../src/pricing/price-book.ts'
import { picoToUsd } from '../../src/pricing/money.ts'
import type { ChatMessage, TargetEntry } from '../../src/providers/types.ts'

/** Exact USD of Σ tokens × pico-dollars per token (a price of $1 per 1M tokens is 1,000,000 pico per token). */
const usd = (...terms: Array<[number, bigint]>) =>
  picoToUsd(terms.reduce((sum, [n, pico]) => sum + BigInt(n) * pico, 0n))
const O1_IN = 15_000_000n
const O1_OUT = 60_000_000n

const messages: ChatMessage[] = [
  { role: 'system', content: 'Answer in one sentence.' },
  { role: 'user', content: 'Why is the sky blue?' },
]

const entry = (provider: string, model: string, extra: Partial<TargetEntry['provider']> = {}): TargetEntry => {
  const m = { id: model, label: model }
  return {
    target: `${provider}/${model}`,
    model: m,
    provider: {
      id: provider,
      name: provider,
      baseURL: 'http://127.0.0.1:9/v1',
      pricing: provider,
      keyStatus: 'env',
      models: [m],
      ...extra,
    },
  }
}

describe('estimateRun', () => {
  it('bounds each target between its prompt alone and the prompt plus max_tokens of output', async () => {
    const n = await countPromptTokens(messages)
    expect(n).toBeGreaterThan(10)
    const est = await estimateRun(
      new PriceBook(),
      [
        { entry: entry('openai', 'o1'), messages },
        { entry: entry('deepseek', 'deepseek-flash'), messages },
      ],
      { maxTokens: 500, at: new Date('2026-11-27T02:00:00Z') }, // Friday, DeepSeek peak
    )
    expect(est.max_tokens).toEqual({ value: 500, source: 'request' })
    const [o1, flash] = est.targets
    expect(o1).toMatchObject({ input_tokens: n, max_output_tokens: 500, source: 'computed', reason: null })
    // Exact: n × 15 µ$ and n × 15 + 500 × 60 µ$.
    expect(o1!.low_usd).toBe(usd([n, O1_IN]))
    expect(o1!.high_usd).toBe(usd([n, O1_IN], [500, O1_OUT]))
    expect(o1!.price_source).toContain('genai-prices 0.1.8: openai/o1')
    expect(flash!.low_usd).toBe(usd([n, 300_000n]))
    expect(flash!.high_usd).toBe(usd([n, 300_000n], [500, 1_200_000n]))
    expect(flash!.price_source).toContain('juxta overrides: deepseek-flash 2026-09-10 peak (01:00–04:00 UTC Mon–Fri)')
    expect(est.total_high_usd).toBe(usd([n, O1_IN + 300_000n], [500, O1_OUT + 1_200_000n]))
    expect(est.unpriced).toEqual([])
  })

  it('states the output bound it assumed when max_tokens is absent, and reports unpriced targets', async () => {
    const est = await estimateRun(
      new PriceBook(),
      [
        { entry: entry('ollama', 'llama3.2'), messages },
        { entry: entry('demo', 'bare', { builtin: 'demo' }), messages },
      ],
      { maxTokens: undefined, at: new Date('2026-11-28T12:00:00Z') },
    )
    expect(est.max_tokens).toEqual({ value: ASSUMED_MAX_OUTPUT_TOKENS, source: 'assumed' })
    expect(est.targets.map((t) => [t.source, t.reason, t.low_usd, t.high_usd])).toEqual([
      ['unknown', 'no-price', null, null],
      ['unknown', 'demo-without-price', null, null],
    ])
    expect(est.total_low_usd).toBeNull()
    expect(est.unpriced).toEqual(['ollama/llama3.2', 'demo/bare'])
  })
})

describe('POST /api/estimate', () => {
  let upstream: FakeUpstream
  let juxta: RunningJuxta

  beforeAll(async () => {
    upstream = await startFakeUpstream()
    const config = fakeConfig({
      openai: { base_url: upstream.url, models: ['o1'] },
      local: { base_url: upstream.url, requires_key: false, models: ['llama3.2'] },
    }) as { providers: Record<string, unknown> }
    config.providers.demo = {
      builtin: 'demo',
      models: [{ id: 'fast', price: { input: 0.1, cached_input: 0.025, output: 0.4 } }, 'bare'],
    }
    juxta = await startJuxta({ config })
  })
  afterAll(async () => {
    await juxta?.close()
    await upstream?.close()
  })

  const post = (body: unknown) =>
    fetch(`${juxta.url}/api/estimate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })

  it('estimates every target without calling any upstream', async () => {
    const res = await post({
      prompt: 'Why is the sky blue?',
      system: 'Answer in one sentence.',
      targets: ['openai/o1', 'demo/fast', 'demo/bare', 'local/llama3.2'],
      max_tokens: 1000,
    })
    expect(res.status).toBe(200)
    const est = (await res.json()) as RunEstimate
    const n = await countPromptTokens(messages)
    expect(est.tokenizer).toBe('o200k_base (gpt-tokenizer)')
    expect(est.max_tokens).toEqual({ value: 1000, source: 'request' })
    expect(Date.now() - Date.parse(est.at)).toBeLessThan(60_000)
    const byTarget = Object.fromEntries(est.targets.map((t) => [t.target, t]))
    expect(byTarget['openai/o1']).toMatchObject({
      input_tokens: n,
      low_usd: usd([n, O1_IN]),
      high_usd: usd([n, O1_IN], [1000, O1_OUT]),
    })
    expect(byTarget['demo/fast']).toMatchObject({
      low_usd: usd([n, 100_000n]),
      high_usd: usd([n, 100_000n], [1000, 400_000n]),
    })
    expect(byTarget['demo/fast']!.price_source).toContain('config: demo/fast')
    expect(byTarget['demo/bare']).toMatchObject({ source: 'unknown', reason: 'demo-without-price', low_usd: null })
    expect(byTarget['local/llama3.2']).toMatchObject({ source: 'unknown', reason: 'no-price', high_usd: null })
    expect(est.unpriced).toEqual(['demo/bare', 'local/llama3.2'])
    expect(upstream.requests).toHaveLength(0)
  })

  it('validates the body like /api/compare', async () => {
    const bad = await post({ prompt: ' ', targets: ['nope/model'] })
    expect(bad.status).toBe(422)
    const body = (await bad.json()) as { error: { issues: Array<{ path: string; message: string }> } }
    expect(body.error.issues.map((i) => i.path).sort()).toEqual(['prompt', 'targets[0]'])
    expect((await post('{not json')).status).toBe(400)
    expect(upstream.requests).toHaveLength(0)
  })
})
