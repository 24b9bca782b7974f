import { describe, expect, it } from 'vitest'
import { median, nearestRankIndex, p90, quantile, quantileOfSorted, sortedNumbers } from '../../src/stats/quantile.ts'

describe('nearest-rank quantiles', () => {
  const ten = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5]

  it('takes x[ceil(q·n) − 1] of the sorted values', () => {
    expect(median(ten)).toBe(5)
    expect(p90(ten)).toBe(9)
    expect(quantile(ten, 0)).toBe(1)
    expect(quantile(ten, 1)).toBe(10)
    expect(quantile(ten, 0.25)).toBe(3)
    expect(quantile(ten, 0.91)).toBe(10)
    expect(median([4, 1, 3])).toBe(3)
    expect(median([7])).toBe(7)
    expect(p90([7])).toBe(7)
  })

  it('gives the lower middle value as the median of an even count', () => {
    expect(median([1, 2, 3, 4])).toBe(2)
    expect(median([3, 1])).toBe(1)
  })

  it('is not moved by binary noise in q·n', () => {
    // 0.7 × 10 is 7.000000000000001 in doubles; the rank is still 7.
    expect(quantile(ten, 0.7)).toBe(7)
    expect(quantile(ten, 0.3)).toBe(3)
    expect(nearestRankIndex(0.7, 10)).toBe(6)
    expect(nearestRankIndex(0.95, 20)).toBe(18)
    expect(nearestRankIndex(0.975, 2000)).toBe(1949)
    expect(nearestRankIndex(0.025, 2000)).toBe(49)
  })

  it('returns null for no values and refuses q outside [0, 1] and NaN values', () => {
    expect(median([])).toBeNull()
    expect(p90([])).toBeNull()
    expect(quantileOfSorted([], 0.5)).toBeNull()
    expect(() => quantile([1, 2], 1.5)).toThrow(RangeError)
    expect(() => quantile([1, 2], -0.1)).toThrow(RangeError)
    expect(() => quantile([1, 2], Number.NaN)).toThrow(RangeError)
    expect(() => quantile([], 2)).toThrow(RangeError)
    expect(() => median([1, Number.NaN])).toThrow(/NaN/)
  })

  it('works on exact money as BigInt pico-dollars', () => {
    const pico = [3_000_000_000_000_000_001n, 5n, 1_300_000n, 2n ** 70n, 0n]
    // Sorted: 0, 5, 1_300_000, 3e18 + 1, 2^70.
    expect(median(pico)).toBe(1_300_000n)
    expect(p90(pico)).toBe(2n ** 70n)
    expect(quantile(pico, 0)).toBe(0n)
    expect(quantile(pico, 0.4)).toBe(5n)
    expect(quantile(pico, 0.8)).toBe(3_000_000_000_000_000_001n)
    expect(median([2n, 1n])).toBe(1n)
    expect(median<bigint>([])).toBeNull()
    // Values beyond 2^53 that a float sort would confuse stay distinct and ordered.
    expect(sortedNumbers([2n ** 60n + 1n, 2n ** 60n])).toEqual([2n ** 60n, 2n ** 60n + 1n])
  })

  it('sorts a copy, numerically, leaving the input alone', () => {
    const input = [10, 9, 100, -1, Number.POSITIVE_INFINITY]
    expect(sortedNumbers(input)).toEqual([-1, 9, 10, 100, Number.POSITIVE_INFINITY])
    expect(input).toEqual([10, 9, 100, -1, Number.POSITIVE_INFINITY])
  })
})
