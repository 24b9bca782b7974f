import { describe, expect, it } from 'vitest'
import { wilsonInterval } from '../../src/stats/wilson.ts'

describe('wilsonInterval', () => {
  it('matches hand-computed values', () => {
    const [lo, hi] = wilsonInterval(8, 10)!
    expect(lo).toBeCloseTo(0.490157, 6)
    expect(hi).toBeCloseTo(0.943319, 6)
    const [lo46, hi46] = wilsonInterval(46, 100)!
    expect(lo46).toBeCloseTo(0.365606, 6)
    expect(hi46).toBeCloseTo(0.557353, 6)
  })

  it('ends exactly at 0 and 1, with the upper end for 0 successes z²/(n + z²)', () => {
    expect(wilsonInterval(0, 10)).toEqual([0, 1.96 ** 2 / (10 + 1.96 ** 2)])
    const [lo, hi] = wilsonInterval(10, 10)!
    expect(hi).toBe(1)
    expect(lo).toBeCloseTo(10 / (10 + 1.96 ** 2), 12)
  })

  it('is symmetric: s of n mirrors n − s of n', () => {
    const [lo, hi] = wilsonInterval(3, 17)!
    const [mlo, mhi] = wilsonInterval(14, 17)!
    expect(lo).toBeCloseTo(1 - mhi, 12)
    expect(hi).toBeCloseTo(1 - mlo, 12)
  })

  it('narrows with a smaller z and with more trials', () => {
    const [lo95, hi95] = wilsonInterval(5, 10)!
    const [lo90, hi90] = wilsonInterval(5, 10, 1.645)!
    expect(hi90 - lo90).toBeLessThan(hi95 - lo95)
    const [lo1000, hi1000] = wilsonInterval(500, 1000)!
    expect(hi1000 - lo1000).toBeLessThan((hi95 - lo95) / 5)
  })

  it('is null for no trials and refuses impossible counts', () => {
    expect(wilsonInterval(0, 0)).toBeNull()
    expect(() => wilsonInterval(11, 10)).toThrow(RangeError)
    expect(() => wilsonInterval(-1, 10)).toThrow(RangeError)
    expect(() => wilsonInterval(1.5, 10)).toThrow(RangeError)
    expect(() => wilsonInterval(1, 10, 0)).toThrow(RangeError)
  })
})
