import { describe, expect, it } from 'vitest'
import { priceOverrides } from '../../config/price-overrides.ts'
import type { Usage } from '../../src/domain/types.ts'
import { priceWhatIf } from '../../src/pricing/what-if.ts'

const usage = (input: number, cached: number, output: number): Usage => ({
  input_tokens: input,
  cached_input_tokens: cached,
  output_tokens: output,
  reasoning_tokens: null,
  source: 'reported',
})

// Tuesday 2026-11-17: 02:00 UTC is peak, 12:00 UTC off-peak; Saturday 2026-11-21 02:00 UTC is off-peak.
const PEAK = new Date('2026-11-17T02:00:00Z')
const OFF_PEAK = new Date('2026-11-17T12:00:00Z')
const SATURDAY = new Date('2026-11-21T02:00:00Z')

describe('priceWhatIf', () => {
  it('prices the same usage in each DeepSeek window of the era, cheapest first, with where cells ran', () => {
    const w = priceWhatIf({
      overrides: priceOverrides,
      pricingProvider: 'deepseek',
      model: 'deepseek-flash',
      at: PEAK,
      cells: [
        { usage: usage(1_000_000, 0, 0), started_at: PEAK },
        { usage: usage(1_000_000, 500_000, 1_000_000), started_at: OFF_PEAK },
        { usage: usage(0, 0, 1_000_000), started_at: SATURDAY },
        { usage: null, started_at: PEAK },
      ],
    })!
    expect(w.priced_cells).toBe(3)
    expect(w.unpriced_cells).toBe(1)
    expect(w.windows.map((x) => x.label)).toEqual([
      'off-peak (outside 01:00–04:00 and 06:00–10:00 UTC Mon–Fri)',
      'peak (01:00–04:00 UTC Mon–Fri); peak (06:00–10:00 UTC Mon–Fri)',
    ])
    // Off-peak 0.003/0.15/0.60: 1M input 0.15 + (0.5M × 0.15 + 0.5M × 0.003 + 1M × 0.60) + 1M × 0.60 = 1.4265
    expect(w.windows[0]!.total_usd).toBeCloseTo(1.4265, 12)
    // Peak doubles every price: 2.853.
    expect(w.windows[1]!.total_usd).toBeCloseTo(2.853, 12)
    expect(w.windows[1]!.mean_usd).toBeCloseTo(2.853 / 3, 12)
    expect(w.windows.map((x) => x.cells_run)).toEqual([2, 1])
  })

  it('follows an alias to the model it is billed as', () => {
    const w = priceWhatIf({
      overrides: priceOverrides,
      pricingProvider: 'DeepSeek',
      model: 'deepseek-v4-pro',
      at: OFF_PEAK,
      cells: [{ usage: usage(0, 0, 1_000_000), started_at: OFF_PEAK }],
    })!
    expect(w.windows.map((x) => x.total_usd)).toEqual([0.6, 1.2])
    expect(w.windows.map((x) => x.cells_run)).toEqual([1, 0])
  })

  it('has no what-if where the price does not depend on the time, or the overrides do not know the model', () => {
    const cells = [{ usage: usage(10, 0, 10), started_at: PEAK }]
    const base = { overrides: priceOverrides, pricingProvider: 'deepseek', cells }
    // V3.2 (2025-10) had one price all day.
    expect(priceWhatIf({ ...base, model: 'deepseek-chat', at: new Date('2025-10-10T02:00:00Z') })).toBeNull()
    expect(priceWhatIf({ ...base, model: 'gpt-4o', at: PEAK })).toBeNull()
    expect(priceWhatIf({ ...base, pricingProvider: 'openai', model: 'deepseek-flash', at: PEAK })).toBeNull()
    // Before deepseek-flash launched.
    expect(priceWhatIf({ ...base, model: 'deepseek-flash', at: new Date('2026-01-01T00:00:00Z') })).toBeNull()
  })

  it('prices the 2025 night discount of deepseek-reasoner as its own window', () => {
    const at = new Date('2025-05-05T20:00:00Z')
    const w = priceWhatIf({
      overrides: priceOverrides,
      pricingProvider: 'deepseek',
      model: 'deepseek-reasoner',
      at,
      cells: [{ usage: usage(0, 0, 1_000_000), started_at: at }],
    })!
    expect(w.windows).toMatchObject([
      { label: 'off-peak (16:30–00:30 UTC)', total_usd: 0.55, cells_run: 1 },
      { label: 'standard (00:30–16:30 UTC)', total_usd: 2.19, cells_run: 0 },
    ])
  })
})
