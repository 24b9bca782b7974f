import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { FIXTURES_DIR, fixturePath } from '../helpers/fake-upstream.ts'
import { usageFrom } from '../../src/providers/usage.ts'
import { PriceBook } from '../../src/pricing/price-book.ts'
import type { Cost } from '../../src/domain/types.ts'
import type { ReportedUsage } from '../../src/providers/types.ts'

// Every recorded response that carries usage, priced at the instant it was recorded (its `created` field)
// and compared, to the pico-dollar, with usage × the documented price of that model on that date.
// Prices: DeepSeek's published price history (https://api-docs.deepseek.com/quick_start/pricing-details-usd,
// https://api-docs.deepseek.com/quick_start/pricing, https://api-docs.deepseek.com/updates; the dated table is
// in config/price-overrides.ts) and OpenAI's list prices (https://platform.openai.com/docs/pricing, as carried by
// pydantic/genai-prices `prices/providers/openai.yml`); Groq and Anthropic via OpenRouter use the
// @pydantic/genai-prices 0.1.8 entry, quoted below.

interface Recorded {
  created: Date
  model: string | null
  usage: ReportedUsage
}

/** The JSON bodies of a fixture: one body, JSON lines, or the `data:` lines of an SSE stream. */
function bodies(file: string): Array<Record<string, unknown>> {
  const text = readFileSync(fixturePath(file), 'utf8')
  if (file.endsWith('.json')) return [JSON.parse(text)]
  const lines = text.split('\n').map((l) => l.trim())
  const payloads = file.endsWith('.sse')
    ? lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim())
    : lines
  return payloads.filter((l) => l && l !== '[DONE]').map((l) => JSON.parse(l))
}

function recorded(file: string): Recorded | undefined {
  let usage: ReportedUsage | undefined
  let created: number | undefined
  let model: string | null = null
  for (const b of bodies(file)) {
    usage = usageFrom(b) ?? usage
    if (typeof b.created === 'number') created ??= b.created
    if (typeof b.model === 'string') model = b.model
  }
  if (!usage) return undefined
  if (created === undefined) throw new Error(`${file}: usage without a created timestamp`)
  return { created: new Date(created * 1000), model, usage }
}

interface Case {
  file: string
  provider: string
  /** The model id the recorded request asked for (SOURCES.md). */
  requested: string
  when: string
  expect:
    | { input_usd: number; output_usd: number; total_usd: number; entry: string }
    | { reported_usd: number; computed_usd: number; entry: string }
    | { unknown: string }
}

const CASES: Case[] = [
  {
    // V3.2 (0.028 / 0.28 / 0.42): 13 × 0.28 = 3.64 µ$; 300 × 0.42 = 126 µ$.
    file: 'deepseek-chat_nonstream_length_2025-12.json',
    provider: 'deepseek',
    requested: 'deepseek-chat',
    when: '2025-12-02T06:18:36.000Z',
    expect: {
      input_usd: 0.00000364,
      output_usd: 0.000126,
      total_usd: 0.00012964,
      entry: 'juxta overrides: deepseek-chat 2025-09-29 V3.2',
    },
  },
  {
    // V3.2: 13 × 0.28 = 3.64 µ$; 400 × 0.42 = 168 µ$.
    file: 'deepseek-chat_stream_length_2025-12.chunks.jsonl',
    provider: 'deepseek',
    requested: 'deepseek-chat',
    when: '2025-12-02T06:46:33.000Z',
    expect: {
      input_usd: 0.00000364,
      output_usd: 0.000168,
      total_usd: 0.00017164,
      entry: 'juxta overrides: deepseek-chat 2025-09-29 V3.2',
    },
  },
  {
    // V3.2: 18 × 0.28 = 5.04 µ$; 345 × 0.42 = 144.9 µ$ (315 of them reasoning, billed as output).
    file: 'deepseek-reasoner_nonstream_2025-12.json',
    provider: 'deepseek',
    requested: 'deepseek-reasoner',
    when: '2025-12-02T07:35:03.000Z',
    expect: {
      input_usd: 0.00000504,
      output_usd: 0.0001449,
      total_usd: 0.00014994,
      entry: 'juxta overrides: deepseek-reasoner 2025-09-29 V3.2',
    },
  },
  {
    // V3.2 with a cache hit: 175 × 0.28 + 320 × 0.028 = 49 + 8.96 = 57.96 µ$; 144 × 0.42 = 60.48 µ$.
    file: 'deepseek-reasoner_nonstream_cache-hit_2025-12.json',
    provider: 'deepseek',
    requested: 'deepseek-reasoner',
    when: '2025-12-02T13:15:41.000Z',
    expect: {
      input_usd: 0.00005796,
      output_usd: 0.00006048,
      total_usd: 0.00011844,
      entry: 'juxta overrides: deepseek-reasoner 2025-09-29 V3.2',
    },
  },
  {
    // Recorded 17:41 UTC: inside the 16:30–00:30 off-peak window (R1 −75 %, 0.035 / 0.135 / 0.55):
    // 6 × 0.135 = 0.81 µ$; 212 × 0.55 = 116.6 µ$ (198 reasoning). At the standard price it would be 467.58 µ$.
    file: 'deepseek-reasoner_stream_usage_2025-07.sse',
    provider: 'deepseek',
    requested: 'deepseek-reasoner',
    when: '2025-07-10T17:41:44.000Z',
    expect: {
      input_usd: 0.00000081,
      output_usd: 0.0001166,
      total_usd: 0.00011741,
      entry: 'juxta overrides: deepseek-reasoner 2025-02-26 off-peak (16:30–00:30 UTC)',
    },
  },
  {
    // Groq gpt-oss-120b (genai-prices: 0.15 in, 0.075 cached, 0.60 out): 339 × 0.15 = 50.85 µ$; 58 × 0.6 = 34.8 µ$.
    file: 'groq_gpt-oss-120b_stream_x_groq-usage.sse',
    provider: 'groq',
    requested: 'openai/gpt-oss-120b',
    when: '2026-02-18T17:12:21.000Z',
    expect: {
      input_usd: 0.00005085,
      output_usd: 0.0000348,
      total_usd: 0.00008565,
      entry: 'genai-prices 0.1.8: groq/openai/gpt-oss-120b',
    },
  },
  {
    // Groq llama-3.3-70b-versatile (genai-prices: 0.59 / 0.79): 45 × 0.59 = 26.55 µ$; 607 × 0.79 = 479.53 µ$.
    file: 'groq_llama-3.3-70b_nonstream.json',
    provider: 'groq',
    requested: 'llama-3.3-70b-versatile',
    when: '2026-02-11T00:46:38.000Z',
    expect: {
      input_usd: 0.00002655,
      output_usd: 0.00047953,
      total_usd: 0.00050608,
      entry: 'genai-prices 0.1.8: groq/llama-3.3-70b-versatile',
    },
  },
  {
    // A local server: no price anywhere.
    file: 'llamacpp_gpt-oss-20b_final-chunk_usage-timings_b6097.json',
    provider: 'llamacpp',
    requested: 'local',
    when: '2025-08-06T23:48:42.000Z',
    expect: { unknown: 'no-price' },
  },
  {
    file: 'ollama_qwen3-0.6b_nonstream_reasoning-field.json',
    provider: 'ollama',
    requested: 'qwen3:0.6b',
    when: '2026-04-16T00:11:44.000Z',
    expect: { unknown: 'no-price' },
  },
  {
    // gpt-4.1-nano (0.025 / 0.10 / 0.40), answered as gpt-4.1-nano-2025-04-14: 16 × 0.1 = 1.6 µ$; 363 × 0.4 = 145.2 µ$.
    file: 'openai_gpt-4.1-nano_nonstream.json',
    provider: 'openai',
    requested: 'gpt-4.1-nano',
    when: '2026-02-12T22:04:43.000Z',
    expect: {
      input_usd: 0.0000016,
      output_usd: 0.0001452,
      total_usd: 0.0001468,
      entry: 'genai-prices 0.1.8: openai/gpt-4.1-nano',
    },
  },
  {
    // gpt-4o-mini (0.075 / 0.15 / 0.60), answered as gpt-4o-mini-2024-07-18: 78 × 0.15 = 11.7 µ$; 9 × 0.6 = 5.4 µ$.
    file: 'openai_gpt-4o-mini_stream_include-usage.sse',
    provider: 'openai',
    requested: 'gpt-4o-mini',
    when: '2026-07-02T01:30:18.000Z',
    expect: {
      input_usd: 0.0000117,
      output_usd: 0.0000054,
      total_usd: 0.0000171,
      entry: 'genai-prices 0.1.8: openai/gpt-4o-mini',
    },
  },
  {
    // o3-mini (0.55 / 1.10 / 4.40): 7 × 1.1 = 7.7 µ$; 87 × 4.4 = 382.8 µ$ (64 reasoning).
    file: 'openai_o3-mini_nonstream_reasoning-tokens.json',
    provider: 'openai',
    requested: 'o3-mini',
    when: '2026-06-15T15:15:47.000Z',
    expect: {
      input_usd: 0.0000077,
      output_usd: 0.0003828,
      total_usd: 0.0003905,
      entry: 'genai-prices 0.1.8: openai/o3-mini',
    },
  },
  {
    // OpenRouter reports usage.cost 0.000669; ours: 43 × 3 + 36 × 15 = 129 + 540 = 669 µ$ (Claude Sonnet 4.5, 3 / 15).
    file: 'openrouter_claude_stream_reasoning_processing-comments_cost.sse',
    provider: 'openrouter',
    requested: 'anthropic/claude-sonnet-4.5',
    when: '2025-12-08T20:40:19.000Z',
    expect: {
      reported_usd: 0.000669,
      computed_usd: 0.000669,
      entry: 'genai-prices 0.1.8: openrouter/anthropic/claude-sonnet-4.5',
    },
  },
  {
    // OpenRouter reports 0.00435825; ours: 17 × 0.25 + 2177 × 2.00 = 4.25 + 4354 = 4358.25 µ$
    // (gpt-5-mini, 960 reasoning).
    file: 'openrouter_gpt-5-mini_nonstream_usage-include_cost.json',
    provider: 'openrouter',
    requested: 'openai/gpt-5-mini',
    when: '2025-11-10T15:48:54.000Z',
    expect: {
      reported_usd: 0.00435825,
      computed_usd: 0.00435825,
      entry: 'genai-prices 0.1.8: openrouter/openai/gpt-5-mini',
    },
  },
]

const book = new PriceBook()

function price(c: Case, rec: Recorded, model = c.requested): Cost {
  return book.price({
    providerId: c.provider,
    pricingProvider: c.provider,
    model: { id: model, label: model },
    reportedModel: rec.model,
    usage: { ...rec.usage, source: 'reported' },
    reportedCostUsd: rec.usage.reported_cost_usd ?? null,
    at: rec.created,
  })
}

describe('cost of every recorded fixture', () => {
  it('covers every fixture that carries usage', () => {
    const withUsage = readdirSync(FIXTURES_DIR)
      .filter((f) => /\.(json|jsonl|sse)$/.test(f))
      .filter((f) => recorded(f) !== undefined)
      .sort()
    expect(CASES.map((c) => c.file).sort()).toEqual(withUsage)
  })

  for (const c of CASES) {
    it(`${c.file}`, () => {
      const rec = recorded(c.file)!
      expect(rec.created.toISOString()).toBe(c.when)
      const cost = price(c, rec)
      const e = c.expect
      if ('unknown' in e) {
        expect(cost).toMatchObject({
          source: 'unknown',
          reason: e.unknown,
          input_usd: null,
          output_usd: null,
          total_usd: null,
        })
      } else if ('reported_usd' in e) {
        expect(cost.source).toBe('reported')
        expect(cost.total_usd).toBe(e.reported_usd)
        expect(cost.reported_usd).toBe(e.reported_usd)
        expect(cost.computed_usd).toBe(e.computed_usd)
        expect(cost.disagreement).toBe(false)
        expect(cost.price_source).toContain(e.entry)
      } else {
        expect(cost).toMatchObject({
          source: 'computed',
          reason: null,
          input_usd: e.input_usd,
          output_usd: e.output_usd,
          total_usd: e.total_usd,
          price_source: e.entry,
          usage_source: 'reported',
        })
      }
    })
  }

  it('prices OpenAI dated snapshots when only the reported id is known to the book', () => {
    for (const file of [
      'openai_gpt-4o-mini_stream_include-usage.sse',
      'openai_o3-mini_nonstream_reasoning-tokens.json',
    ]) {
      const c = CASES.find((x) => x.file === file)!
      const rec = recorded(file)!
      const bySnapshot = price(c, rec, rec.model!)
      expect(rec.model).toMatch(/-20\d\d-\d\d-\d\d$/)
      expect(bySnapshot.total_usd).toBe((c.expect as { total_usd: number }).total_usd)
    }
  })
})
