import { describe, expect, it } from 'vitest'
import { cyrb53, hashSeed, randomIndex, seededRandom, seedState } from '../../src/stats/random.ts'

const draws = (random: () => number, n: number) => Array.from({ length: n }, random)

describe('hashSeed', () => {
  it('is cyrb53, matching its published values', () => {
    expect(cyrb53('a')).toBe(7929297801672961)
    expect(cyrb53('b')).toBe(8684336938537663)
    expect(cyrb53('revenge')).toBe(4051478007546757)
    expect(cyrb53('revenue')).toBe(8309097637345594)
  })

  it('folds to a 32-bit unsigned integer, the same for the same text and different for near texts', () => {
    const ids = ['', 'a', 'b', 'study-1', 'study-2', 'étude', '研究']
    const hashes = ids.map(hashSeed)
    for (const h of hashes) {
      expect(Number.isInteger(h)).toBe(true)
      expect(h).toBeGreaterThanOrEqual(0)
      expect(h).toBeLessThan(2 ** 32)
    }
    expect(new Set(hashes).size).toBe(ids.length)
    expect(hashSeed('study-1')).toBe(hashSeed('study-1'))
    const h = cyrb53('study-1')
    expect(hashSeed('study-1')).toBe(((h % 2 ** 32) ^ Math.floor(h / 2 ** 32)) >>> 0)
  })
})

describe('seededRandom', () => {
  it('is mulberry32: an integer seed is its state', () => {
    // mulberry32's first output for state 0, computed by hand from its definition.
    let t = Math.imul(0x6d2b79f5 ^ (0x6d2b79f5 >>> 15), 1 | 0x6d2b79f5)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    expect(seededRandom(0)()).toBe(((t ^ (t >>> 14)) >>> 0) / 2 ** 32)
    expect(seedState(7)).toBe(7)
    expect(seedState(2 ** 32 + 7)).toBe(7)
    expect(seedState('7')).toBe(hashSeed('7'))
    expect(seedState(1.5)).toBe(hashSeed('1.5'))
  })

  it('repeats its sequence for a seed and differs between seeds', () => {
    expect(draws(seededRandom('study-1'), 50)).toEqual(draws(seededRandom('study-1'), 50))
    expect(draws(seededRandom('study-1'), 50)).not.toEqual(draws(seededRandom('study-2'), 50))
    expect(draws(seededRandom(1), 50)).not.toEqual(draws(seededRandom(2), 50))
  })

  it('is uniform in [0, 1): every value in range and ten equal bins evenly filled', () => {
    const values = draws(seededRandom('uniformity'), 100_000)
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...values)).toBeLessThan(1)
    const bins = new Array<number>(10).fill(0)
    for (const v of values) bins[Math.floor(v * 10)]!++
    // Chi-square with 9 degrees of freedom: 27.9 is its 0.999 quantile.
    const chi2 = bins.reduce((sum, count) => sum + (count - 10_000) ** 2 / 10_000, 0)
    expect(chi2).toBeLessThan(27.9)
    const mean = values.reduce((a, b) => a + b, 0) / values.length
    expect(mean).toBeCloseTo(0.5, 2)
  })

  it('draws indices in [0, n) covering all of them', () => {
    const random = seededRandom('indices')
    const seen = new Set(Array.from({ length: 1000 }, () => randomIndex(random, 7)))
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5, 6])
  })
})
