import { describe, expect, it } from 'vitest'
import { computedCost, withReportedCost } from '../../src/pricing/cost.ts'
import { MAX_REQUEST_USD } from '../../src/domain/bounds.ts'
import { MAX_REQUEST_PICO, requestPico, usdToPico } from '../../src/pricing/money.ts'
import { PriceBook } from '../../src/pricing/price-book.ts'
import { summarizeRun } from '../../src/pricing/summary.ts'
import type { Usage } from '../../src/domain/types.ts'
import type { Cost } from '../../src/domain/types.ts'

// Per-request amounts are bounded (MAX_REQUEST_USD) so that no single request can poison a sum.

const PRICE = { input: 1, cached_input: 0.5, output: 2 }
const usage = (input: number, output: number): Usage => ({
  input_tokens: input,
  cached_input_tokens: 0,
  output_tokens: output,
  reasoning_tokens: 0,
  source: 'reported',
})

describe('money bounds', () => {
  it('turns a plausible per-request amount into pico-dollars and refuses anything else', () => {
    expect(MAX_REQUEST_PICO).toBe(10n ** 16n)
    expect(requestPico(MAX_REQUEST_USD)).toBe(MAX_REQUEST_PICO)
    expect(requestPico(0.000021)).toBe(21_000_000n)
    for (const bad of [MAX_REQUEST_USD + 0.01, 9e6, 1e300, -1, Number.NaN, Number.POSITIVE_INFINITY, null, undefined]) {
      expect(requestPico(bad)).toBeNull()
    }
    expect(() => usdToPico(Number.NaN)).toThrow(/not an amount of money/)
  })
})

describe('computed costs beyond any plausible request', () => {
  it('are unknown with the out-of-range reason and a note, never a giant figure', () => {
    const cost = computedCost({ usage: usage(1e12, 1e12) }, PRICE, 'test')
    expect(cost).toMatchObject({ source: 'unknown', total_usd: null, reason: 'out-of-range' })
    expect(cost.notes).toEqual(['computed cost rejected: 3000000 USD is out of range (over $10,000 per request)'])
    // Right at the bound is still a cost.
    const atBound = computedCost({ usage: usage(0, 5e9) }, PRICE, 'test')
    expect(atBound).toMatchObject({ source: 'computed', total_usd: 10_000 })
  })
})

describe('a reported cost outside the range reaching pricing anyway', () => {
  it('is not used: the computed cost stands, with a note', () => {
    const computed = computedCost({ usage: usage(10, 5) }, PRICE, 'test')
    const cost = withReportedCost(computed, 1e300, 'openrouter') as Cost
    expect(cost).toMatchObject({ source: 'computed', total_usd: 0.00002 })
    expect(cost.notes).toEqual(['reported cost rejected: 1e+300 is out of range'])
    const viaBook = new PriceBook({ library: false }).price({
      providerId: 'p',
      pricingProvider: 'p',
      model: { id: 'm', label: 'm', price: { input: 1, output: 2 } },
      reportedModel: null,
      usage: usage(10, 5),
      reportedCostUsd: Number.POSITIVE_INFINITY,
      at: new Date(),
    })
    expect(viaBook).toMatchObject({
      source: 'computed',
      total_usd: 0.00002,
      notes: ['reported cost rejected: Infinity is out of range'],
    })
  })
})

describe('summaries of stored costs', () => {
  it('leave a non-finite amount out of the ranking instead of throwing', () => {
    const timing = { ttft_ms: 1, first_answer_ms: 1, total_ms: 2, output_tokens_per_s: null }
    const base = { status: 'ok' as const, timing }
    const good: Cost = {
      input_usd: null,
      output_usd: null,
      total_usd: 0.5,
      source: 'computed',
      reason: null,
      price_source: null,
      unit_price: null,
    }
    const summary = summarizeRun([
      { ...base, target: 'a/x', cost: good },
      { ...base, target: 'b/y', cost: { ...good, total_usd: Number.NaN } },
    ])
    expect(summary.cheapest).toEqual({ target: 'a/x', total_usd: 0.5 })
    expect(summary.targets[1]).toMatchObject({ cost_multiple: null, per_1000_usd: null })
  })
})
