import { describe, expect, it } from 'vitest'
import { PriceBook } from '../../src/pricing/price-book.ts'
import { ratio, usdToPico, formatMultiple, formatUsd } from '../../src/pricing/money.ts'
import type { Cost } from '../../src/domain/types.ts'

// "27× cheaper": the list-price ratio of OpenAI o1 to DeepSeek-R1 (deepseek-reasoner) at R1's launch.
// Identical usage, 1,000 input + 1,000 output tokens, priced by the price book at a given instant.

const book = new PriceBook()
const cost = (provider: string, model: string, iso: string): Cost =>
  book.price({
    providerId: provider,
    pricingProvider: provider,
    model: { id: model, label: model },
    reportedModel: null,
    usage: { input_tokens: 1000, cached_input_tokens: 0, output_tokens: 1000, reasoning_tokens: 0, source: 'reported' },
    reportedCostUsd: null,
    at: new Date(iso),
  })
const times = (a: Cost, b: Cost) => ratio(usdToPico(a.total_usd!), usdToPico(b.total_usd!))

describe('the 27× question', () => {
  it('on 2025-01-28 o1 costs 27.3–27.4× deepseek-reasoner', () => {
    const o1 = cost('openai', 'o1', '2025-01-28T12:00:00Z')
    const r1 = cost('deepseek', 'deepseek-reasoner', '2025-01-28T12:00:00Z')
    expect(o1.total_usd).toBe(0.075) // 15 + 60 per 1M → 0.015 + 0.06
    expect(r1.total_usd).toBe(0.00274) // 0.55 + 2.19 per 1M
    expect(o1.price_source).toBe('genai-prices 0.1.8: openai/o1')
    expect(r1.price_source).toBe('juxta overrides: deepseek-reasoner 2025-01-20 R1')
    const x = times(o1, r1)
    expect(x).toBeGreaterThanOrEqual(27.3)
    expect(x).toBeLessThanOrEqual(27.4)
    expect(formatMultiple(x)).toBe('27.4×')
    // Per side: input 15 / 0.55 and output 60 / 2.19.
    expect(ratio(usdToPico(o1.input_usd!), usdToPico(r1.input_usd!))).toBeCloseTo(27.27, 2)
    expect(ratio(usdToPico(o1.output_usd!), usdToPico(r1.output_usd!))).toBeCloseTo(27.4, 2)
  })

  it('in the 2025 night discount it was about 109×', () => {
    const x = times(
      cost('openai', 'o1', '2025-03-10T17:00:00Z'),
      cost('deepseek', 'deepseek-reasoner', '2025-03-10T17:00:00Z'),
    )
    expect(x).toBeCloseTo(109.489, 2) // 0.075 / 0.000685
  })

  it('today (2026-11-28) deepseek-reasoner is retired; o1 vs deepseek-flash: 100× off-peak, 50× weekday peak', () => {
    const retired = cost('deepseek', 'deepseek-reasoner', '2026-11-28T12:00:00Z')
    expect(retired).toMatchObject({ source: 'unknown', reason: 'no-price-at-date', total_usd: null })

    const o1 = cost('openai', 'o1', '2026-11-28T12:00:00Z')
    expect(o1.total_usd).toBe(0.075)
    // 2026-11-28 is a Saturday: off-peak all day (0.15 / 0.60).
    const flashToday = cost('deepseek', 'deepseek-flash', '2026-11-28T12:00:00Z')
    expect(flashToday.total_usd).toBe(0.00075)
    expect(times(o1, flashToday)).toBe(100)
    // Friday 2026-11-27 02:00 UTC is peak (0.30 / 1.20).
    const flashPeak = cost('deepseek', 'deepseek-flash', '2026-11-27T02:00:00Z')
    expect(flashPeak.total_usd).toBe(0.0015)
    expect(times(cost('openai', 'o1', '2026-11-27T02:00:00Z'), flashPeak)).toBe(50)
    expect(formatUsd(flashPeak.total_usd)).toBe('$0.0015')
  })

  it('today o3, OpenAI’s cheaper reasoning model, is 13.3× / 6.67× deepseek-flash', () => {
    const o3 = cost('openai', 'o3', '2026-11-28T12:00:00Z') // 2 / 8 since 2025-06-10
    expect(o3.total_usd).toBe(0.01)
    expect(o3.price_source).toBe('genai-prices 0.1.8: openai/o3 from 2025-06-10')
    expect(times(o3, cost('deepseek', 'deepseek-flash', '2026-11-28T12:00:00Z'))).toBeCloseTo(13.333, 3)
    expect(times(o3, cost('deepseek', 'deepseek-flash', '2026-11-27T02:00:00Z'))).toBeCloseTo(6.667, 3)
  })
})
