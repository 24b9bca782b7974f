import { describe, expect, it } from 'vitest'
import { priceOverrides } from '../../config/price-overrides.ts'
import { checkOverrides, resolveOverride, type PriceOverrides } from '../../src/pricing/schedule.ts'

const at = (iso: string) => new Date(iso)
const priceOf = (model: string, iso: string) => {
  const hit = resolveOverride(priceOverrides, 'deepseek', model, at(iso))
  if (hit.kind !== 'price') throw new Error(`${model} has no override price at ${iso} (${hit.kind})`)
  return hit
}
const triple = (model: string, iso: string) => {
  const { price } = priceOf(model, iso)
  return [price.cached_input, price.input, price.output]
}

describe('the shipped DeepSeek overrides', () => {
  it('are well formed: ordered, non-overlapping eras, valid windows, aliases that resolve', () => {
    expect(checkOverrides(priceOverrides)).toEqual([])
  })

  it('price deepseek-chat in every era (cache hit / input / output)', () => {
    expect(triple('deepseek-chat', '2025-01-28T12:00:00Z')).toEqual([0.014, 0.14, 0.28]) // V3 promo
    expect(triple('deepseek-chat', '2025-02-08T15:59:59Z')).toEqual([0.014, 0.14, 0.28])
    expect(triple('deepseek-chat', '2025-02-08T16:00:00Z')).toEqual([0.07, 0.27, 1.1]) // promo over
    expect(triple('deepseek-chat', '2025-03-10T12:00:00Z')).toEqual([0.07, 0.27, 1.1])
    expect(triple('deepseek-chat', '2025-03-10T17:00:00Z')).toEqual([0.035, 0.135, 0.55]) // off-peak −50 %
    expect(triple('deepseek-chat', '2025-09-05T15:59:00Z')).toEqual([0.07, 0.27, 1.1])
    expect(triple('deepseek-chat', '2025-09-05T17:00:00Z')).toEqual([0.07, 0.56, 1.68]) // V3.1, no discount
    expect(triple('deepseek-chat', '2025-12-02T06:00:00Z')).toEqual([0.028, 0.28, 0.42]) // V3.2
    expect(triple('deepseek-chat', '2026-04-25T12:00:00Z')).toEqual([0.028, 0.14, 0.28]) // alias of V4-Flash
    expect(triple('deepseek-chat', '2026-05-01T02:00:00Z')).toEqual([0.0028, 0.14, 0.28]) // cache hit cut
  })

  it('price deepseek-reasoner from R1 launch, with the −75 % night discount', () => {
    expect(triple('deepseek-reasoner', '2025-01-28T12:00:00Z')).toEqual([0.14, 0.55, 2.19]) // no promo for R1
    expect(triple('deepseek-reasoner', '2025-03-10T12:00:00Z')).toEqual([0.14, 0.55, 2.19])
    expect(triple('deepseek-reasoner', '2025-03-10T17:00:00Z')).toEqual([0.035, 0.135, 0.55])
    expect(triple('deepseek-reasoner', '2025-10-01T17:00:00Z')).toEqual([0.028, 0.28, 0.42])
    expect(resolveOverride(priceOverrides, 'deepseek', 'deepseek-reasoner', at('2025-01-19T23:00:00Z')).kind).toBe(
      'not-at-date',
    )
  })

  it('starts the night discount at 2025-02-26 16:30 UTC and wraps it past midnight', () => {
    expect(triple('deepseek-chat', '2025-02-26T16:29:59Z')).toEqual([0.07, 0.27, 1.1])
    expect(triple('deepseek-chat', '2025-02-26T16:30:00Z')).toEqual([0.035, 0.135, 0.55])
    expect(triple('deepseek-chat', '2025-03-11T00:29:59Z')).toEqual([0.035, 0.135, 0.55])
    expect(triple('deepseek-chat', '2025-03-11T00:30:00Z')).toEqual([0.07, 0.27, 1.1])
    expect(priceOf('deepseek-chat', '2025-03-10T17:00:00Z').source).toBe(
      'deepseek-chat 2025-02-26 off-peak (16:30–00:30 UTC)',
    )
  })

  it('retires deepseek-chat and deepseek-reasoner at 2026-07-24 15:59 UTC', () => {
    expect(triple('deepseek-reasoner', '2026-07-24T15:58:59Z')).toEqual([0.0028, 0.14, 0.28])
    for (const model of ['deepseek-chat', 'deepseek-reasoner']) {
      expect(resolveOverride(priceOverrides, 'deepseek', model, at('2026-07-24T15:59:00Z')).kind).toBe('not-at-date')
    }
  })

  it('applies the 2026 peak windows on weekdays only', () => {
    // 2026-08-17 is a Monday, 2026-08-22 a Saturday.
    expect(triple('deepseek-v4-flash', '2026-08-16T15:59:00Z')).toEqual([0.0028, 0.14, 0.28])
    expect(triple('deepseek-v4-flash', '2026-08-16T16:00:00Z')).toEqual([0.007, 0.22, 0.66])
    expect(triple('deepseek-v4-flash', '2026-08-17T01:00:00Z')).toEqual([0.014, 0.44, 1.32])
    expect(triple('deepseek-v4-flash', '2026-08-17T04:00:00Z')).toEqual([0.007, 0.22, 0.66])
    expect(triple('deepseek-v4-flash', '2026-08-17T09:59:59Z')).toEqual([0.014, 0.44, 1.32])
    expect(triple('deepseek-v4-flash', '2026-08-22T02:00:00Z')).toEqual([0.007, 0.22, 0.66])
    expect(triple('deepseek-v4-pro', '2026-08-17T07:00:00Z')).toEqual([0.044, 1.32, 3.96])
    expect(triple('deepseek-v4-pro', '2026-08-17T12:00:00Z')).toEqual([0.022, 0.66, 1.98])
  })

  it('knows deepseek-flash from 2026-09-10 and bills deepseek-v4-pro as it from 2026-09-14', () => {
    expect(resolveOverride(priceOverrides, 'deepseek', 'deepseek-flash', at('2026-09-09T12:00:00Z')).kind).toBe(
      'not-at-date',
    )
    expect(triple('deepseek-flash', '2026-11-27T02:00:00Z')).toEqual([0.006, 0.3, 1.2]) // Friday, peak
    expect(triple('deepseek-flash', '2026-11-28T02:00:00Z')).toEqual([0.003, 0.15, 0.6]) // Saturday
    expect(triple('deepseek-v4-pro', '2026-09-13T12:00:00Z')).toEqual([0.022, 0.66, 1.98])
    expect(triple('deepseek-v4-pro', '2026-11-27T02:00:00Z')).toEqual([0.006, 0.3, 1.2])
    expect(priceOf('deepseek-v4-pro', '2026-11-27T02:00:00Z').source).toBe(
      'deepseek-v4-pro 2026-09-14 routed to V4.1-Flash → deepseek-flash 2026-09-10 peak (01:00–04:00 UTC Mon–Fri)',
    )
  })

  it('matches model and provider ids case-insensitively and leaves other ids to the next book', () => {
    expect(resolveOverride(priceOverrides, 'DeepSeek', ' DeepSeek-Chat ', at('2025-12-02T06:00:00Z')).kind).toBe(
      'price',
    )
    expect(resolveOverride(priceOverrides, 'deepseek', 'deepseek-v3.2', at('2025-12-02T06:00:00Z')).kind).toBe(
      'unclaimed',
    )
    expect(resolveOverride(priceOverrides, 'openrouter', 'deepseek-chat', at('2025-12-02T06:00:00Z')).kind).toBe(
      'unclaimed',
    )
    // Ids reported by an upstream are untrusted: prototype keys are not models.
    for (const id of ['constructor', '__proto__', 'toString']) {
      expect(resolveOverride(priceOverrides, 'deepseek', id, at('2025-12-02T06:00:00Z')).kind).toBe('unclaimed')
      expect(resolveOverride(priceOverrides, id, 'deepseek-chat', at('2025-12-02T06:00:00Z')).kind).toBe('unclaimed')
    }
  })
})

describe('checkOverrides', () => {
  const p = { input: 1, cached_input: 0.5, output: 2 }
  it('reports overlapping eras, bad instants, bad windows and dangling aliases', () => {
    const bad: PriceOverrides = {
      x: {
        a: [
          { from: '2025-01-01T00:00:00Z', label: 'open', price: p },
          { from: '2025-02-01T00:00:00Z', until: '2025-01-01T00:00:00Z', label: 'backwards', price: p },
        ],
        b: [
          {
            from: '2025-01-01',
            label: 'local time',
            price: p,
            windows: [{ label: 'w', start: '25:00', end: '01:00', price: p }],
          },
        ],
        c: [{ from: '2025-01-01T00:00:00Z', label: 'alias', bill_as: 'nowhere' }],
        D: [{ from: '2025-01-01T00:00:00Z', label: 'upper', price: { ...p, output: -1 } }],
      },
    }
    const problems = checkOverrides(bad)
    expect(problems).toEqual([
      'x/a[1]: until must be a UTC instant after from',
      'x/a[1]: overlaps the entry before',
      'x/b[0]: from must be an ISO UTC instant',
      'x/b[0] w: window times must be distinct HH:MM',
      'x/c[0]: bill_as nowhere has no price at 2025-01-01T00:00:00Z',
      'x/D: model ids are matched in lower case',
      'x/D[0]: invalid price',
    ])
  })
})
