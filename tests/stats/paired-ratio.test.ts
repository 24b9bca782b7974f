import { describe, expect, it } from 'vitest'
import { bootstrapInterval } from '../../src/stats/bootstrap.ts'
import { pairedRatio } from '../../src/stats/paired-ratio.ts'
import { median } from '../../src/stats/quantile.ts'
import { seededRandom } from '../../src/stats/random.ts'

type Costs = Record<string, (number | null)[]>
const map = (costs: Costs) => new Map(Object.entries(costs))

describe('pairedRatio', () => {
  it('compares each prompt with itself: medians of repeats, then the median ratio', () => {
    const a = map({ p1: [4, 6, 5], p2: [30, 10], p3: [1], p4: [9, null, 9], p5: [2, 2] })
    const b = map({ p1: [1, 1, 1], p2: [5, 5], p3: [4], p4: [3], p5: [1, 3] })
    // Prompt medians (nearest rank: the lower middle of an even count): A 5, 10, 1, 9, 2; B 1, 5, 4, 3, 1.
    // r = 5, 2, 0.25, 3, 2 → median 2.
    const r = pairedRatio({ a, b, seed: 's' })
    expect(r.median).toBe(2)
    expect(r.geo_mean).toBeCloseTo((5 * 2 * 0.25 * 3 * 2) ** (1 / 5), 12)
    expect(r.total_ratio).toBe((5 + 10 + 1 + 9 + 2) / (1 + 5 + 4 + 3 + 1))
    expect(r.prompts).toBe(5)
    expect(r.excluded).toEqual({ unknown: 0, zero_b: 0 })
    expect(r.note).toBeUndefined()
    const [lo, hi] = r.ci95!
    expect(lo).toBeLessThanOrEqual(2)
    expect(hi).toBeGreaterThanOrEqual(2)
    // Every resample's median is one of the observed ratios.
    expect([0.25, 2, 3, 5]).toContain(lo)
    expect([0.25, 2, 3, 5]).toContain(hi)
  })

  it('collapses the interval to the ratio when every prompt has the same ratio', () => {
    const a = map(Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`p${i}`, [0.031 * (i + 1)]])))
    const b = map(Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`p${i}`, [0.001 * (i + 1)]])))
    const r = pairedRatio({ a, b, seed: 'study-1' })
    const ratio = r.median!
    expect(ratio).toBeCloseTo(31, 9)
    expect(r.ci95).toEqual([ratio, ratio])
    expect(r.geo_mean).toBeCloseTo(31, 9)
    expect(r.total_ratio).toBeCloseTo(31, 9)
  })

  it('leaves out and counts prompts with no known cost on a side, or a free B', () => {
    const a = map({ p1: [null, null], p2: [2], p3: [3], p4: [0], only_a: [1] })
    const b = map({ p1: [1], p2: [0, 0, 1], p3: [1], p4: [2], only_b: [5] })
    // p1: A unknown; p2: B's median 0; only_a / only_b: missing from one side; p3: r 3; p4: A free, r 0.
    const r = pairedRatio({ a, b, seed: 1, minPrompts: 2 })
    expect(r.excluded).toEqual({ unknown: 3, zero_b: 1 })
    expect(r.prompts).toBe(2)
    expect(r.median).toBe(0) // nearest-rank median of [0, 3]
    expect(r.geo_mean).toBe(0) // the geometric mean of a set with a 0
    expect(r.total_ratio).toBe(3 / 3)
    expect(r.ci95).not.toBeNull()
  })

  it('gives the ratio but no interval below the prompt minimum, and nothing without a usable prompt', () => {
    const few = pairedRatio({ a: map({ p1: [2], p2: [4] }), b: map({ p1: [1], p2: [1] }), seed: 1 })
    expect(few.median).toBe(2)
    expect(few.ci95).toBeNull()
    expect(few.note).toBe('too few prompts for an interval')
    const none = pairedRatio({ a: map({ p1: [null] }), b: map({ p1: [1] }), seed: 1 })
    expect(none).toEqual({
      median: null,
      geo_mean: null,
      total_ratio: null,
      ci95: null,
      prompts: 0,
      excluded: { unknown: 1, zero_b: 0 },
      note: 'no prompt with a known cost on both sides',
    })
    expect(pairedRatio({ a: new Map(), b: new Map(), seed: 1 }).prompts).toBe(0)
  })

  it('says B cost $0 when that, not an unknown cost, left every prompt out', () => {
    const free = pairedRatio({ a: map({ p1: [2], p2: [3] }), b: map({ p1: [0], p2: [0, 0] }), seed: 1 })
    expect(free).toMatchObject({
      median: null,
      prompts: 0,
      excluded: { unknown: 0, zero_b: 2 },
      note: 'the cheaper target cost $0 on every prompt',
    })
    const both = pairedRatio({ a: map({ p1: [2], p2: [null] }), b: map({ p1: [0], p2: [1] }), seed: 1 })
    expect(both).toMatchObject({
      excluded: { unknown: 1, zero_b: 1 },
      note: 'on every prompt a cost is unknown or the cheaper target cost $0',
    })
  })

  it('is reproducible per seed, independent of map order, and varies with the seed', () => {
    const random = seededRandom('costs')
    const entries = Array.from({ length: 30 }, (_, i) => {
      const base = 0.001 + random() * 0.01
      return [`p${i}`, [base * (20 + random() * 20)], [base]] as const
    })
    const a = new Map(entries.map(([k, costA]) => [k, costA]))
    const b = new Map(entries.map(([k, , costB]) => [k, costB]))
    const reversedA = new Map([...a].reverse())
    const first = pairedRatio({ a, b, seed: 'study-1' })
    expect(pairedRatio({ a: reversedA, b, seed: 'study-1' })).toEqual(first)
    // A median's interval is made of observed ratios, so near seeds often agree; over 20 seeds some differ.
    const seeds = Array.from({ length: 20 }, (_, i) => `study-${i + 2}`)
    const intervals = new Set(seeds.map((seed) => JSON.stringify(pairedRatio({ a, b, seed }).ci95)))
    expect(intervals.size).toBeGreaterThan(1)
    // It is the bootstrap of the prompts' ratios, taken in prompt-key order.
    const ratios = [...a.keys()].sort().map((k) => a.get(k)![0]! / b.get(k)![0]!)
    expect(first.ci95).toEqual(bootstrapInterval(ratios, (s) => median(s)!, { seed: 'study-1' }))
    const [lo, hi] = first.ci95!
    expect(lo).toBeGreaterThanOrEqual(20)
    expect(hi).toBeLessThanOrEqual(40)
    expect(lo).toBeLessThanOrEqual(first.median!)
    expect(hi).toBeGreaterThanOrEqual(first.median!)
  })

  it('refuses costs that are not amounts, too few resamples and a prompt minimum below 1', () => {
    expect(() => pairedRatio({ a: map({ p: [1] }), b: map({ p: [1] }), seed: 1, minPrompts: 0 })).toThrow(/minPrompts/)
    expect(() => pairedRatio({ a: map({ p: [-1] }), b: map({ p: [1] }), seed: 1 })).toThrow(RangeError)
    expect(() => pairedRatio({ a: map({ p: [Number.NaN] }), b: map({ p: [1] }), seed: 1 })).toThrow(RangeError)
    expect(() => pairedRatio({ a: map({ p: [1] }), b: map({ p: [1] }), seed: 1, resamples: 10 })).toThrow(RangeError)
  })
})
