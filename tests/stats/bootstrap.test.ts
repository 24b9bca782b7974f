import { describe, expect, it } from 'vitest'
import { bootstrapInterval, bootstrapStatistics, percentileInterval } from '../../src/stats/bootstrap.ts'
import { median } from '../../src/stats/quantile.ts'
import { seededRandom } from '../../src/stats/random.ts'

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
const medianOf = (xs: readonly number[]) => median(xs)!

describe('percentileInterval', () => {
  it('takes the nearest-rank 2.5th and 97.5th percentiles', () => {
    const values = Array.from({ length: 2000 }, (_, i) => 2000 - i) // 2000 … 1
    expect(percentileInterval(values)).toEqual([50, 1950])
    expect(percentileInterval(values, 0.9)).toEqual([100, 1900])
  })

  it('leaves out non-finite values and is null when none is left', () => {
    expect(percentileInterval([Number.NaN, 3, Number.POSITIVE_INFINITY, 1, 2])).toEqual([1, 3])
    expect(percentileInterval([Number.NaN])).toBeNull()
    expect(percentileInterval([])).toBeNull()
    expect(() => percentileInterval([1], 1)).toThrow(RangeError)
  })
})

describe('bootstrapInterval', () => {
  const random = seededRandom('data')
  const items = Array.from({ length: 40 }, () => 10 + random() * 5)

  it('is reproducible for a seed and differs between seeds', () => {
    const a = bootstrapInterval(items, mean, { seed: 'study-1' })
    const b = bootstrapInterval(items, mean, { seed: 'study-1' })
    const c = bootstrapInterval(items, mean, { seed: 'study-2' })
    expect(a).toEqual(b)
    expect(a).not.toEqual(c)
    // A median's interval is made of observed values, so two seeds may agree on it; its resamples still differ.
    expect(bootstrapInterval(items, medianOf, { seed: 'study-1' })).toEqual(
      bootstrapInterval(items, medianOf, { seed: 'study-1' }),
    )
    const resamples = (seed: string) => bootstrapStatistics(items, medianOf, { seed })
    expect(resamples('study-1')).toEqual(resamples('study-1'))
    expect(resamples('study-1')).not.toEqual(resamples('study-2'))
  })

  it('brackets the statistic of the data', () => {
    const [lo, hi] = bootstrapInterval(items, mean, { seed: 1 })!
    expect(lo).toBeLessThan(mean(items))
    expect(hi).toBeGreaterThan(mean(items))
    expect(lo).toBeGreaterThan(10)
    expect(hi).toBeLessThan(15)
  })

  it('collapses to the value when every item is equal', () => {
    expect(bootstrapInterval([3, 3, 3, 3], medianOf, { seed: 'x' })).toEqual([3, 3])
    expect(bootstrapInterval([0.25], mean, { seed: 'x' })).toEqual([0.25, 0.25])
  })

  it('resamples whole items with replacement, n of them each time', () => {
    const sizes = new Set<number>()
    const seen = new Set<string>()
    const values = bootstrapStatistics(
      ['a', 'b', 'c'],
      (sample) => {
        sizes.add(sample.length)
        for (const s of sample) seen.add(s)
        return sample.filter((s) => s === 'a').length
      },
      { seed: 5, resamples: 1000 },
    )
    expect(values).toHaveLength(1000)
    expect([...sizes]).toEqual([3])
    expect([...seen].sort()).toEqual(['a', 'b', 'c'])
    // Drawn with replacement: some resamples hold 'a' 0 times, some 3 times (each about 1/27 or 8/27).
    expect(values).toContain(0)
    expect(values).toContain(3)
    expect(mean(values)).toBeCloseTo(1, 1)
  })

  it('skips non-finite statistics, and is null when every one is', () => {
    // A resample without a 1 gives NaN here; the interval is over the others.
    const ratio = (sample: readonly number[]) => {
      const ones = sample.filter((x) => x === 1).length
      return ones === 0 ? Number.NaN : sample.length / ones
    }
    const interval = bootstrapInterval([1, 2, 2, 2], ratio, { seed: 3 })!
    expect(Number.isFinite(interval[0]) && Number.isFinite(interval[1])).toBe(true)
    expect(interval[0]).toBeGreaterThanOrEqual(1)
    expect(interval[1]).toBeLessThanOrEqual(4)
    expect(bootstrapInterval([1, 2], () => Number.NaN, { seed: 3 })).toBeNull()
  })

  it('is null for no items and checks its options', () => {
    expect(bootstrapInterval([], mean, { seed: 1 })).toBeNull()
    expect(() => bootstrapInterval([1], mean, { seed: 1, resamples: 999 })).toThrow(/at least 1000/)
    expect(() => bootstrapInterval([1], mean, { seed: 1, resamples: 1500.5 })).toThrow(RangeError)
    expect(() => bootstrapInterval([1], mean, { seed: 1, level: 1 })).toThrow(RangeError)
  })

  it('uses 2,000 resamples by default', () => {
    let calls = 0
    bootstrapInterval([1, 2], (s) => ++calls + s.length, { seed: 1 })
    expect(calls).toBe(2000)
  })
})
