import { describe, expect, it } from 'vitest'
import {
  eloScale,
  fitBradleyTerry,
  type Pair,
  pairsOfVote,
  rateVotes,
  type Vote,
} from '../../src/stats/bradley-terry.ts'
import { seededRandom } from '../../src/stats/random.ts'

const repeat = (pair: Pair, times: number): Pair[] => Array.from({ length: times }, () => pair)

describe('pairsOfVote', () => {
  it('makes the winner beat every other target', () => {
    expect(pairsOfVote({ targets: ['x', 'y', 'z'], winner: 'y' })).toEqual([
      { a: 'y', b: 'x', score: 1 },
      { a: 'y', b: 'z', score: 1 },
    ])
  })

  it('makes tie and all_bad ties between every two targets', () => {
    const ties = [
      { a: 'x', b: 'y', score: 0.5 },
      { a: 'x', b: 'z', score: 0.5 },
      { a: 'y', b: 'z', score: 0.5 },
    ]
    expect(pairsOfVote({ targets: ['x', 'y', 'z'], winner: 'tie' })).toEqual(ties)
    expect(pairsOfVote({ targets: ['x', 'y', 'z'], winner: 'all_bad' })).toEqual(ties)
  })

  it('gives no pair for a lone target and refuses a winner not in the vote or a repeated target', () => {
    expect(pairsOfVote({ targets: ['x'], winner: 'x' })).toEqual([])
    expect(pairsOfVote({ targets: [], winner: 'tie' })).toEqual([])
    expect(() => pairsOfVote({ targets: ['x', 'y'], winner: 'z' })).toThrow(/not one of/)
    expect(() => pairsOfVote({ targets: ['x', 'x'], winner: 'x' })).toThrow(/twice/)
  })
})

describe('fitBradleyTerry', () => {
  it('matches the closed form for two targets: p_a / p_b = wins of a / wins of b, prior included', () => {
    // 3 wins to 1, plus the prior's virtual tie (half a win each): 3.5 / 1.5.
    const pairs = [...repeat({ a: 'a', b: 'b', score: 1 }, 3), { a: 'a', b: 'b', score: 0 } as Pair]
    const p = fitBradleyTerry(pairs)
    expect(p.get('a')!).toBeCloseTo(Math.sqrt(7 / 3), 8)
    expect(p.get('b')!).toBeCloseTo(Math.sqrt(3 / 7), 8)
    // Without a prior worth mentioning, the plain maximum likelihood 3 / 1.
    const mle = fitBradleyTerry(pairs, { prior: 1e-9 })
    expect(mle.get('a')! / mle.get('b')!).toBeCloseTo(3, 6)
  })

  it('counts a tie as half a win each way', () => {
    // 2 wins and 2 ties: a has 3 wins' worth, b 1, as in the 3-to-1 case.
    const pairs = [...repeat({ a: 'a', b: 'b', score: 1 }, 2), ...repeat({ a: 'b', b: 'a', score: 0.5 }, 2)]
    const p = fitBradleyTerry(pairs)
    expect(p.get('a')! / p.get('b')!).toBeCloseTo(7 / 3, 8)
    const allTies = fitBradleyTerry(repeat({ a: 'a', b: 'b', score: 0.5 }, 10))
    expect(allTies.get('a')).toBeCloseTo(1, 12)
    expect(allTies.get('b')).toBeCloseTo(1, 12)
  })

  it('keeps a target that never won (or never lost) finite', () => {
    const p = fitBradleyTerry(repeat({ a: 'winner', b: 'loser', score: 1 }, 5))
    expect(p.get('winner')! / p.get('loser')!).toBeCloseTo(5.5 / 0.5, 8)
    for (const v of p.values()) expect(Number.isFinite(v) && v > 0).toBe(true)
    const elo = eloScale(p)
    expect(elo.get('winner')! - elo.get('loser')!).toBeCloseTo(400 * Math.log10(11), 6)
  })

  it('gives equal strengths to a perfect cycle and normalises to geometric mean 1', () => {
    const cycle = fitBradleyTerry([
      { a: 'a', b: 'b', score: 1 },
      { a: 'b', b: 'c', score: 1 },
      { a: 'c', b: 'a', score: 1 },
    ])
    for (const v of cycle.values()) expect(v).toBeCloseTo(1, 9)
    const random = seededRandom('normalise')
    const names = ['p', 'q', 'r', 's']
    const pairs: Pair[] = Array.from({ length: 60 }, () => {
      const [a, b] = [...names].sort(() => random() - 0.5)
      return { a: a!, b: b!, score: random() < 0.6 ? 1 : 0 }
    })
    const p = fitBradleyTerry(pairs)
    expect([...p.values()].reduce((s, v) => s + Math.log(v), 0)).toBeCloseTo(0, 9)
  })

  it('solves the likelihood equations: W_i = Σ_j n_ij · p_i / (p_i + p_j), prior included', () => {
    const random = seededRandom('equations')
    const names = ['a', 'b', 'c', 'd', 'e']
    const truth = [1, 1.5, 2, 3, 5]
    const pairs: Pair[] = []
    for (let v = 0; v < 400; v++) {
      const i = Math.floor(random() * 5)
      const j = (i + 1 + Math.floor(random() * 4)) % 5
      const u = random()
      const score = u < 0.1 ? 0.5 : u < 0.1 + 0.9 * (truth[i]! / (truth[i]! + truth[j]!)) ? 1 : 0
      pairs.push({ a: names[i]!, b: names[j]!, score })
    }
    const p = fitBradleyTerry(pairs)
    for (const i of names) {
      let won = 0
      let expected = 0
      for (const j of names) {
        if (j === i) continue
        const between = pairs.filter((x) => (x.a === i && x.b === j) || (x.a === j && x.b === i))
        const wins = between.reduce((s, x) => s + (x.a === i ? x.score : 1 - x.score), 0) + 0.5
        won += wins
        expected += ((between.length + 1) * p.get(i)!) / (p.get(i)! + p.get(j)!)
      }
      expect(expected).toBeCloseTo(won, 6)
    }
    // The input order does not matter.
    const shuffled = fitBradleyTerry([...pairs].reverse())
    for (const name of names) expect(shuffled.get(name)).toBeCloseTo(p.get(name)!, 9)
  })

  it('refuses a self-comparison, a bad score and a non-positive prior', () => {
    expect(() => fitBradleyTerry([{ a: 'a', b: 'a', score: 1 }])).toThrow(/itself/)
    expect(() => fitBradleyTerry([{ a: 'a', b: 'b', score: 2 as 1 }])).toThrow(/score/)
    expect(() => fitBradleyTerry([], { prior: 0 })).toThrow(/prior/)
    expect(fitBradleyTerry([]).size).toBe(0)
  })
})

describe('eloScale', () => {
  it('maps strengths to 1000 + 400·log10(p), centred on a mean of 1000', () => {
    const elo = eloScale(
      new Map([
        ['one', 1],
        ['two', 2],
        ['four', 4],
      ]),
    )
    const step = 400 * Math.log10(2)
    expect(elo.get('two')).toBeCloseTo(1000, 9)
    expect(elo.get('one')).toBeCloseTo(1000 - step, 9)
    expect(elo.get('four')).toBeCloseTo(1000 + step, 9)
    // Scaling every strength changes nothing.
    const scaled = eloScale(
      new Map([
        ['one', 10],
        ['two', 20],
        ['four', 40],
      ]),
    )
    expect(scaled.get('four')).toBeCloseTo(elo.get('four')!, 9)
    expect(() => eloScale(new Map([['zero', 0]]))).toThrow(RangeError)
  })
})

/** Votes on 2 or 3 of the targets, the best drawn with probability ∝ strength (Luce's choice model). */
function simulate(seed: string, strengths: Record<string, number>, count: number): Vote[] {
  const random = seededRandom(seed)
  const names = Object.keys(strengths)
  return Array.from({ length: count }, () => {
    const targets = [...names].sort(() => random() - 0.5).slice(0, random() < 0.5 ? 2 : 3)
    let u = random() * targets.reduce((s, t) => s + strengths[t]!, 0)
    let winner = targets[targets.length - 1]!
    for (const t of targets) {
      u -= strengths[t]!
      if (u <= 0) {
        winner = t
        break
      }
    }
    return { targets, winner }
  })
}

describe('rateVotes', () => {
  it('counts wins, losses and ties per pair and rates the same as a fit on the pairs', () => {
    const votes: Vote[] = [
      { targets: ['a', 'b', 'c'], winner: 'a' },
      { targets: ['a', 'b'], winner: 'b' },
      { targets: ['a', 'b', 'c'], winner: 'tie' },
      { targets: ['b', 'c'], winner: 'all_bad' },
      { targets: ['d'], winner: 'd' }, // no comparison: not counted, d not rated
    ]
    const result = rateVotes(votes, { seed: 'tally', resamples: 1000 })
    expect(result.method).toBe('bradley-terry')
    expect(result.votes).toBe(4)
    const rows = Object.fromEntries(result.targets.map((t) => [t.target, t]))
    expect(Object.keys(rows).sort()).toEqual(['a', 'b', 'c'])
    expect(rows.a).toMatchObject({ votes: 3, wins: 2, losses: 1, ties: 2, win_rate: 3 / 5 })
    expect(rows.b).toMatchObject({ votes: 4, wins: 1, losses: 1, ties: 3, win_rate: 2.5 / 5 })
    expect(rows.c).toMatchObject({ votes: 3, wins: 0, losses: 1, ties: 3, win_rate: 1.5 / 4 })
    const elo = eloScale(fitBradleyTerry(votes.flatMap(pairsOfVote)))
    for (const t of result.targets) {
      expect(t.rating).toBeCloseTo(elo.get(t.target)!, 6)
      expect(t.ci95[0]).toBeLessThanOrEqual(t.ci95[1])
    }
    expect(result.targets.map((t) => t.target)).toEqual(['a', 'b', 'c'])
    expect(result.targets.reduce((s, t) => s + t.rating, 0) / 3).toBeCloseTo(1000, 9)
    expect(result.prior).toMatch(/one virtual tie between every two targets/)
    expect(result.prior).toMatch(/1000 resamples/)
  })

  it('recovers the order of strengths 1 : 2 : 4, and the 95% intervals hold the true ratings in most seeds', () => {
    const truth = eloScale(
      new Map([
        ['weak', 1],
        ['mid', 2],
        ['strong', 4],
      ]),
    )
    const seeds = Array.from({ length: 20 }, (_, i) => `sim-${i}`)
    let ordered = 0
    const covered = { weak: 0, mid: 0, strong: 0 }
    for (const seed of seeds) {
      const result = rateVotes(simulate(seed, { weak: 1, mid: 2, strong: 4 }, 300), { seed })
      if (result.targets.map((t) => t.target).join() === 'strong,mid,weak') ordered++
      for (const t of result.targets) {
        const name = t.target as keyof typeof covered
        if (t.ci95[0] <= truth.get(name)! && truth.get(name)! <= t.ci95[1]) covered[name]++
      }
    }
    expect(ordered).toBe(20)
    // A 95% interval misses the truth about once in 20 seeds; allow a few misses.
    for (const count of Object.values(covered)) expect(count).toBeGreaterThanOrEqual(16)
  })

  it('separates clearly different targets in rank and lets overlapping intervals share one', () => {
    const votes = simulate('ranks', { a: 1, b: 1.05, c: 20 }, 400)
    const result = rateVotes(votes, { seed: 'ranks' })
    const rows = Object.fromEntries(result.targets.map((t) => [t.target, t]))
    expect(rows.c!.rank).toBe(1)
    expect(rows.a!.rank).toBe(2)
    expect(rows.b!.rank).toBe(2)
    expect(rows.c!.ci95[0]).toBeGreaterThan(Math.max(rows.a!.ci95[1], rows.b!.ci95[1]))
  })

  it('is reproducible for a seed, differs between seeds, and does not depend on vote order', () => {
    const votes = simulate('repro', { x: 1, y: 2, z: 3 }, 120)
    const first = rateVotes(votes, { seed: 'board' })
    expect(rateVotes(votes, { seed: 'board' })).toEqual(first)
    expect(rateVotes([...votes].reverse(), { seed: 'board' })).toEqual(first)
    const other = rateVotes(votes, { seed: 'other' })
    expect(other.targets.map((t) => t.rating)).toEqual(first.targets.map((t) => t.rating))
    expect(other.targets.map((t) => t.ci95)).not.toEqual(first.targets.map((t) => t.ci95))
  })

  it('rates a target that never won, with a finite interval, and one seen in a single vote', () => {
    const votes: Vote[] = [
      ...Array.from({ length: 30 }, (): Vote => ({ targets: ['good', 'bad'], winner: 'good' })),
      ...Array.from({ length: 30 }, (): Vote => ({ targets: ['good', 'fine'], winner: 'fine' })),
      ...Array.from({ length: 10 }, (): Vote => ({ targets: ['fine', 'bad'], winner: 'tie' })),
      { targets: ['rare', 'good'], winner: 'rare' },
    ]
    const result = rateVotes(votes, { seed: 'edge' })
    for (const t of result.targets) {
      expect(Number.isFinite(t.rating)).toBe(true)
      expect(Number.isFinite(t.ci95[0]) && Number.isFinite(t.ci95[1])).toBe(true)
      expect(t.ci95[0]).toBeLessThanOrEqual(t.ci95[1])
    }
    const rows = Object.fromEntries(result.targets.map((t) => [t.target, t]))
    expect(rows.bad).toMatchObject({ wins: 0, losses: 30, ties: 10, win_rate: 5 / 40 })
    expect(result.targets.at(-1)!.target).toBe('bad')
    expect(result.targets[0]!.target).toBe('fine')
    // One vote says little; it is held near the middle by the prior, and its interval is not a point.
    expect(rows.rare!.ci95[1] - rows.rare!.ci95[0]).toBeGreaterThan(10)
    expect(rows.rare!.rating).toBeGreaterThanOrEqual(rows.rare!.ci95[0])
    expect(rows.rare!.rating).toBeLessThanOrEqual(rows.rare!.ci95[1])
  })

  it('gives an empty board for no votes and refuses a bad vote or too few resamples', () => {
    expect(rateVotes([], { seed: 1 })).toMatchObject({ method: 'bradley-terry', votes: 0, targets: [] })
    expect(() => rateVotes([{ targets: ['a', 'b'], winner: 'c' }], { seed: 1 })).toThrow(/not one of/)
    expect(() => rateVotes([], { seed: 1, resamples: 100 })).toThrow(/at least 1000/)
  })
})
