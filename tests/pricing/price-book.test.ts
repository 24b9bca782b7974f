import { readFileSync, readdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { calcPrice } from '@pydantic/genai-prices'
import { describe, expect, it } from 'vitest'
import { PriceBook } from '../../src/pricing/price-book.ts'
import { GENAI_PRICES_VERSION } from '../../src/pricing/library-book.ts'
import type { PriceQuery } from '../../src/pricing/types.ts'
import type { Usage } from '../../src/domain/types.ts'
import type { ModelEntry } from '../../src/providers/types.ts'
import { createContext } from '../../src/context.ts'
import { loadTestConfig } from '../helpers/juxta.ts'

const ROOT = resolve(import.meta.dirname, '../..')
const usage = (input: number, output: number, cached = 0, source: Usage['source'] = 'reported'): Usage => ({
  input_tokens: input,
  cached_input_tokens: cached,
  output_tokens: output,
  reasoning_tokens: 0,
  source,
})

function query(
  over: Partial<PriceQuery> & { provider?: string; modelId?: string; price?: ModelEntry['price'] },
): PriceQuery {
  const { provider = 'deepseek', modelId = 'deepseek-chat', price, ...rest } = over
  return {
    providerId: provider,
    pricingProvider: provider,
    model: { id: modelId, label: modelId, ...(price ? { price } : {}) },
    reportedModel: null,
    usage: usage(1_000_000, 1_000_000),
    reportedCostUsd: null,
    at: new Date('2026-01-01T10:00:00Z'),
    ...rest,
  }
}

const book = new PriceBook()

describe('precedence: config, then Juxta overrides, then genai-prices', () => {
  it('lets Juxta overrides correct the library’s stale DeepSeek entry', () => {
    // genai-prices 0.1.8 still has Jan-2025 prices on 2026-01-01: 0.27 + 1.10.
    const libraryOnly = new PriceBook({ overrides: {} }).price(query({}))
    expect(libraryOnly.total_usd).toBe(1.37)
    expect(libraryOnly.price_source).toBe('genai-prices 0.1.8: deepseek/deepseek-chat 00:30–16:30 UTC')
    // V3.2 was 0.28 + 0.42.
    const ours = book.price(query({}))
    expect(ours.total_usd).toBe(0.7)
    expect(ours.price_source).toBe('juxta overrides: deepseek-chat 2025-09-29 V3.2')
  })

  it('does not apply the 2026 peak window before it existed, unlike the library', () => {
    const at = new Date('2026-05-01T02:00:00Z')
    expect(new PriceBook({ overrides: {} }).price(query({ modelId: 'deepseek-v4-flash', at })).total_usd).toBe(1.76)
    expect(book.price(query({ modelId: 'deepseek-v4-flash', at })).total_usd).toBe(0.42)
  })

  it('lets a per-model config price win over both', () => {
    const cost = book.price(query({ price: { input: 1, output: 2 }, usage: usage(1_000_000, 1_000_000, 500_000) }))
    // Without cached_input the cached tokens are billed at the input price.
    expect(cost).toMatchObject({
      total_usd: 3,
      input_usd: 1,
      output_usd: 2,
      price_source: 'config: deepseek/deepseek-chat',
    })
  })

  it('uses the price-book provider id, not the provider’s own name', () => {
    const cost = book.price({
      ...query({ provider: 'gemini', modelId: 'gemini-2.5-flash' }),
      pricingProvider: 'google',
    })
    expect(cost.price_source).toBe('genai-prices 0.1.8: google/gemini-2.5-flash')
    expect(cost.total_usd).toBe(2.8) // 0.30 + 2.50
  })

  it('applies tiered prices by the size of the whole prompt', () => {
    const small = book.price(query({ provider: 'openai', modelId: 'gpt-5.5', usage: usage(272_000 - 1, 0) }))
    const large = book.price(query({ provider: 'openai', modelId: 'gpt-5.5', usage: usage(272_000, 0) }))
    expect(small.unit_price).toMatchObject({ input: 5, output: 30 })
    expect(large.unit_price).toMatchObject({ input: 10, output: 45 })
    expect(large.price_source).toBe('genai-prices 0.1.8: openai/gpt-5.5 (prompt above 271999 tokens)')
    expect(large.total_usd).toBe(2.72)
  })

  it('names the dated library entry it used', () => {
    const before = book.price(query({ provider: 'openai', modelId: 'o3', at: new Date('2025-05-01T00:00:00Z') }))
    expect(before.price_source).toBe('genai-prices 0.1.8: openai/o3 before 2025-06-10')
    expect(before.total_usd).toBe(50)
  })
})

describe('model ids: requested first, then the one the upstream reported', () => {
  it('falls back to the reported id when the requested one has no price', () => {
    const cost = book.price(query({ provider: 'openai', modelId: 'my-mini', reportedModel: 'gpt-4o-mini-2024-07-18' }))
    expect(cost.price_source).toBe('genai-prices 0.1.8: openai/gpt-4o-mini (by reported model gpt-4o-mini-2024-07-18)')
    expect(cost.total_usd).toBe(0.75)
  })

  it('prices a retired DeepSeek alias by the model DeepSeek says it answered with', () => {
    const at = new Date('2026-08-01T12:00:00Z')
    expect(book.price(query({ modelId: 'deepseek-chat', at }))).toMatchObject({
      source: 'unknown',
      reason: 'no-price-at-date',
    })
    const cost = book.price(query({ modelId: 'deepseek-chat', reportedModel: 'deepseek-v4-flash', at }))
    expect(cost.price_source).toBe(
      'juxta overrides: deepseek-v4-flash 2026-04-26 V4-Flash (cache hit 0.0028) (by reported model deepseek-v4-flash)',
    )
    expect(cost.total_usd).toBe(0.42)
  })

  it('never lets the library answer for a DeepSeek id the overrides own', () => {
    // Before V3's release the overrides have no deepseek-chat price; the library's undated entry must not fill in.
    const cost = book.price(query({ at: new Date('2024-12-01T12:00:00Z') }))
    expect(cost).toMatchObject({ source: 'unknown', reason: 'no-price-at-date', total_usd: null })
  })
})

describe('unknown is null with a reason, never 0', () => {
  it('has no price for an unknown model or provider', () => {
    for (const q of [
      query({ provider: 'openai', modelId: 'no-such-model' }),
      query({ provider: 'ollama', modelId: 'llama3.2' }),
    ]) {
      expect(book.price(q)).toEqual({
        input_usd: null,
        output_usd: null,
        total_usd: null,
        source: 'unknown',
        reason: 'no-price',
        price_source: null,
        unit_price: null,
      })
    }
  })

  it('has no cost without usage', () => {
    const none: Usage = {
      input_tokens: null,
      cached_input_tokens: null,
      output_tokens: null,
      reasoning_tokens: null,
      source: 'none',
    }
    expect(book.price(query({ usage: none }))).toMatchObject({ source: 'unknown', reason: 'no-usage', total_usd: null })
  })

  it('prices the demo provider only from explicit config prices', () => {
    const demo = (price?: ModelEntry['price']) =>
      book.price({ ...query({ provider: 'demo', modelId: 'gpt-4o-mini', price }), builtin: 'demo', reportedCostUsd: 1 })
    expect(demo()).toMatchObject({ source: 'unknown', reason: 'demo-without-price', total_usd: null })
    expect(demo({ input: 0.1, cached_input: 0.025, output: 0.4 })).toMatchObject({
      source: 'computed',
      total_usd: 0.5,
      price_source: 'config: demo/gpt-4o-mini',
    })
  })
})

describe('provenance of estimated usage', () => {
  it('marks a cost computed from tokenizer counts', () => {
    const cost = book.price(query({ usage: usage(1000, 1000, 0, 'estimated') }))
    expect(cost).toMatchObject({
      source: 'computed',
      reason: 'estimated-usage',
      usage_source: 'estimated',
      price_source: "juxta overrides: deepseek-chat 2025-09-29 V3.2; usage estimated by Juxta's tokenizer",
    })
  })
})

describe('provider-reported cost (OpenRouter usage.cost)', () => {
  const or = (reported: number, modelId = 'openai/gpt-5-mini') =>
    book.price(query({ provider: 'openrouter', modelId, usage: usage(17, 2177), reportedCostUsd: reported }))

  it('is the total when it agrees with ours within 1 %, with our split kept', () => {
    const cost = or(0.0044) // ours 0.00435825: 0.96 % lower
    expect(cost).toMatchObject({
      source: 'reported',
      total_usd: 0.0044,
      reported_usd: 0.0044,
      computed_usd: 0.00435825,
      disagreement: false,
      input_usd: 0.00000425,
      output_usd: 0.004354,
    })
    expect(cost.price_source).toBe(
      'reported by openrouter (usage.cost); computed agrees with genai-prices 0.1.8: openrouter/openai/gpt-5-mini',
    )
  })

  it('flags a disagreement above 1 % and does not mix our split into their total', () => {
    const cost = or(0.0045) // ours is 3.2 % lower
    expect(cost).toMatchObject({ source: 'reported', total_usd: 0.0045, computed_usd: 0.00435825, disagreement: true })
    expect(cost.input_usd).toBeNull()
    expect(cost.output_usd).toBeNull()
    expect(cost.price_source).toContain('differs by more than 1 %')
  })

  it('keeps a reported cost for a model no book knows', () => {
    const cost = or(0.002, 'some/new-model')
    expect(cost).toMatchObject({ source: 'reported', total_usd: 0.002, computed_usd: null, input_usd: null })
    expect(cost.disagreement).toBeUndefined()
    expect(cost.price_source).toBe('reported by openrouter (usage.cost); not computed: no-price')
  })

  it('treats a reported zero against a non-zero computation as a disagreement', () => {
    expect(or(0).disagreement).toBe(true)
  })
})

describe('exact amounts agree with the library’s own floating-point arithmetic', () => {
  const cases: Array<[string, string, string, Usage]> = [
    ['openai', 'o1', '2025-01-28T12:00:00Z', usage(1234, 5678, 1024)],
    ['openai', 'gpt-5.5', '2026-11-28T12:00:00Z', usage(300_000, 2000, 100_000)],
    ['anthropic', 'claude-sonnet-4-5', '2026-11-28T12:00:00Z', usage(12_345, 678, 2_000)],
    ['google', 'gemini-2.5-pro', '2026-11-28T12:00:00Z', usage(250_000, 9_999, 10_000)],
    ['groq', 'llama-3.3-70b-versatile', '2026-02-11T00:00:00Z', usage(45, 607)],
    ['mistral', 'mistral-large-latest', '2026-11-28T12:00:00Z', usage(4321, 123)],
  ]
  for (const [provider, model, iso, u] of cases) {
    it(`${provider}/${model}`, () => {
      const ours = book.price(query({ provider, modelId: model, usage: u, at: new Date(iso) }))
      const lib = calcPrice(
        { input_tokens: u.input_tokens!, cache_read_tokens: u.cached_input_tokens!, output_tokens: u.output_tokens! },
        model,
        { providerId: provider, timestamp: new Date(iso) },
      )
      expect(lib).not.toBeNull()
      expect(ours.source).toBe('computed')
      expect(ours.total_usd!).toBeCloseTo(lib!.total_price, 12)
      expect(ours.input_usd!).toBeCloseTo(lib!.input_price, 12)
    })
  }
})

describe('the library is pinned and bundle-only', () => {
  it('names the installed version in every price source', () => {
    const installed = JSON.parse(
      readFileSync(resolve(ROOT, 'node_modules/@pydantic/genai-prices/package.json'), 'utf8'),
    )
    const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8'))
    expect(installed.version).toBe(GENAI_PRICES_VERSION)
    expect(pkg.dependencies['@pydantic/genai-prices']).toBe(GENAI_PRICES_VERSION)
  })

  it('never refreshes prices over the network', () => {
    const files = readdirSync(resolve(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) =>
      /\.tsx?$/.test(f),
    )
    expect(files).toContain('pricing/library-book.ts')
    for (const file of files) {
      expect(readFileSync(resolve(ROOT, 'src', file), 'utf8'), file).not.toMatch(/\b(updatePrices|waitForUpdate)\s*\(/)
    }
  })
})

describe('the app context', () => {
  it('prices with the price book by default', () => {
    const ctx = createContext(loadTestConfig({ providers: { demo: { builtin: 'demo', models: ['fast'] } } }), {
      log: () => {},
    })
    expect(ctx.pricer).toBeInstanceOf(PriceBook)
  })
})
