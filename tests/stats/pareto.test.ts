import { describe, expect, it } from 'vitest'
import { paretoFront } from '../../src/stats/pareto.ts'

const sorted = (s: Set<string>) => [...s].sort()

describe('paretoFront', () => {
  it('keeps the points nothing beats on both quality and cost', () => {
    const front = paretoFront([
      { id: 'cheap', quality: 900, cost: 0.001 },
      { id: 'best', quality: 1100, cost: 0.05 },
      { id: 'middle', quality: 1000, cost: 0.01 },
      { id: 'dominated', quality: 950, cost: 0.02 }, // middle is better and cheaper
      { id: 'dear-twin', quality: 1100, cost: 0.06 }, // as good as best, dearer
      { id: 'worse-twin', quality: 890, cost: 0.001 }, // as cheap as cheap, worse
    ])
    expect(sorted(front)).toEqual(['best', 'cheap', 'middle'])
  })

  it('keeps exact duplicates together (neither is strictly better)', () => {
    const front = paretoFront([
      { id: 'a', quality: 1000, cost: 0.01 },
      { id: 'b', quality: 1000, cost: 0.01 },
      { id: 'c', quality: 990, cost: 0.02 },
    ])
    expect(sorted(front)).toEqual(['a', 'b'])
  })

  it('never puts an unknown cost on the front, nor lets it dominate', () => {
    const front = paretoFront([
      { id: 'unknown-best', quality: 2000, cost: null },
      { id: 'known', quality: 1000, cost: 0.01 },
      { id: 'nan', quality: Number.NaN, cost: 0.001 },
    ])
    expect(sorted(front)).toEqual(['known'])
    expect(paretoFront([{ id: 'x', quality: 1, cost: null }]).size).toBe(0)
  })

  it('handles one point, none, zero costs and refuses duplicate ids', () => {
    expect(sorted(paretoFront([{ id: 'only', quality: 1, cost: 5 }]))).toEqual(['only'])
    expect(paretoFront([]).size).toBe(0)
    expect(
      sorted(
        paretoFront([
          { id: 'free', quality: 1, cost: 0 },
          { id: 'paid', quality: 1, cost: 1 },
        ]),
      ),
    ).toEqual(['free'])
    expect(() =>
      paretoFront([
        { id: 'x', quality: 1, cost: 1 },
        { id: 'x', quality: 2, cost: 2 },
      ]),
    ).toThrow(/duplicate/)
  })
})
