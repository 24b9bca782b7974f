import { describe, expect, it } from 'vitest'
import { buildLeaderboard, leaderboardJson, type ResultFigure } from '../../src/arena/leaderboard.ts'
import { humanVote } from '../../src/arena/vote-rules.ts'
import { judgeVote } from '../../src/arena/judge.ts'
import { pairsOfVote } from '../../src/stats/bradley-terry.ts'
import type { Vote } from '../../src/arena/types.ts'

const A = 'p/a'
const B = 'p/b'
const C = 'q/c'

const vote = (runId: string, targets: string[], winner: string): Vote => {
  const v = humanVote({ runId, targets, winner, blind: false, now: new Date('2026-11-01T00:00:00Z') })
  if (!v.ok) throw new Error(v.message)
  return v.vote
}

const figure = (run_id: string, target: string, cost_usd: number | null, ttft_ms: number | null): ResultFigure => ({
  run_id,
  target,
  label: target.toUpperCase(),
  cost_pico: cost_usd === null ? null : BigInt(Math.round(cost_usd * 1e12)),
  ttft_ms,
})

describe('votes become pairs', () => {
  it('a winner beats every other target of its run; tie and all bad are ties between all', () => {
    expect(pairsOfVote(vote('r1', [A, B, C], B))).toEqual([
      { a: B, b: A, score: 1 },
      { a: B, b: C, score: 1 },
    ])
    for (const w of ['tie', 'all_bad']) {
      expect(pairsOfVote(vote('r1', [A, B, C], w)).map((p) => [p.a, p.b, p.score])).toEqual([
        [A, B, 0.5],
        [A, C, 0.5],
        [B, C, 0.5],
      ])
    }
  })

  it('a judge verdict is one pair: consistent → a win, flipped → a tie, missing → no verdict', () => {
    const base = { runId: 'r', judge: 'j/x', pair: { a: A, b: B }, judgeRunId: 'jr', blind: true }
    expect(judgeVote({ ...base, verdicts: ['A', 'B'] }).winner).toBe(A)
    expect(judgeVote({ ...base, verdicts: ['B', 'A'] }).winner).toBe(B)
    expect(judgeVote({ ...base, verdicts: ['TIE', 'TIE'] }).winner).toBe('tie')
    expect(judgeVote({ ...base, verdicts: ['A', 'A'] }).winner).toBe('tie')
    expect(judgeVote({ ...base, verdicts: ['A', 'TIE'] }).winner).toBe('tie')
    expect(judgeVote({ ...base, verdicts: ['A', null] }).winner).toBe('no_verdict')
    const v = judgeVote({ ...base, verdicts: ['A', 'B'] })
    expect(v).toMatchObject({ source: 'judge:j/x', targets: [A, B] })
    expect(pairsOfVote(v)).toEqual([{ a: A, b: B, score: 1 }])
  })

  it('refuses a winner that is not in the run', () => {
    expect(humanVote({ runId: 'r', targets: [A, B], winner: C, blind: false }).ok).toBe(false)
  })

  it('refuses a vote on a run with one target in several columns, and the board leaves such a vote out', () => {
    const refused = humanVote({ runId: 'r', targets: [A, A, B], winner: A, blind: false })
    expect(refused).toMatchObject({ ok: false, message: expect.stringMatching(/several columns/) })
    const good = vote('r1', [A, B], A)
    const twice = { ...good, run_id: 'r2', targets: [A, A, B] }
    const board = buildLeaderboard({ votes: [good, twice], figures: [], labelOf: () => undefined })
    expect(board.votes).toBe(1)
  })
})

describe('the leaderboard', () => {
  it('gives the Bradley-Terry numbers of a known vote set, with measured medians and the Pareto flag', () => {
    // A beats B three times, one tie. With the prior of one virtual tie: A has 4 wins of 5, so p_A / p_B = 4 and
    // the ratings are 1000 ± 200·log10(4).
    const votes = [vote('r1', [A, B], A), vote('r2', [A, B], A), vote('r3', [A, B], A), vote('r4', [A, B], 'tie')]
    const figures = [
      figure('r1', A, 0.003, 400),
      figure('r2', A, 0.001, 300),
      figure('r3', A, 0.002, 200),
      figure('r4', A, null, null),
      figure('r1', B, null, 100),
      figure('r2', B, null, 120),
      // Not a voted run: never counted.
      figure('other', B, 0.5, 1),
    ]
    const board = buildLeaderboard({ votes, figures, labelOf: (t) => (t === A ? 'Model A' : undefined) })
    const json = leaderboardJson(board)
    expect(Object.keys(json)).toEqual(['votes', 'method', 'targets'])
    expect(json.votes).toBe(4)
    expect(json.method).toBe('bradley-terry')
    const [a, b] = json.targets
    const half = 200 * Math.log10(4)
    expect(a!.target).toBe(A)
    expect(a!.rating).toBeCloseTo(1000 + half, 6)
    expect(b!.rating).toBeCloseTo(1000 - half, 6)
    expect(a).toMatchObject({ label: 'Model A', votes: 4, wins: 3, losses: 0, ties: 1, win_rate: 3.5 / 4 })
    expect(b).toMatchObject({ label: 'P/B', votes: 4, wins: 0, losses: 3, ties: 1, win_rate: 0.5 / 4 })
    expect(Object.keys(a!)).toEqual([
      'target',
      'label',
      'rating',
      'ci95',
      'votes',
      'wins',
      'losses',
      'ties',
      'win_rate',
      'median_cost_usd',
      'median_ttft_ms',
      'pareto',
    ])
    // Nearest-rank median of the known costs (0.001, 0.002, 0.003) and TTFTs (200, 300, 400).
    expect(a!.median_cost_usd).toBe(0.002)
    expect(a!.median_ttft_ms).toBe(300)
    // Unknown costs stay unknown, never 0; B's TTFT median is the lower middle of 100 and 120.
    expect(b!.median_cost_usd).toBeNull()
    expect(b!.median_ttft_ms).toBe(100)
    expect(a!.ci95[0]).toBeLessThanOrEqual(a!.rating)
    expect(a!.ci95[1]).toBeGreaterThanOrEqual(a!.rating)
    // A is on the cost front; B has no known cost, so it is on no front.
    expect([a!.pareto, b!.pareto]).toEqual([true, false])
    // On TTFT, B is faster and A is better: both on the front.
    expect(board.pareto_ttft).toEqual([A, B])
  })

  it('is reproducible: the same votes in any order give the same numbers', () => {
    const votes = [
      vote('r1', [A, B, C], A),
      vote('r2', [A, B, C], B),
      vote('r3', [A, C], A),
      vote('r4', [B, C], 'all_bad'),
      vote('r5', [A, B, C], A),
    ]
    const one = buildLeaderboard({ votes, figures: [], labelOf: () => undefined })
    const two = buildLeaderboard({ votes: [...votes].reverse(), figures: [], labelOf: () => undefined })
    expect(two.targets).toEqual(one.targets)
    expect(one.targets.map((t) => t.target)).toEqual([A, B, C])
    // The mean rating is 1000.
    expect(one.targets.reduce((s, t) => s + t.rating, 0) / 3).toBeCloseTo(1000, 9)
  })

  it('marks targets overlapping the leader, and counts judge comparisons without a verdict apart', () => {
    const judged: Vote = { ...vote('r9', [A, B], 'tie'), source: 'judge:j/x', winner: 'no_verdict' }
    const board = buildLeaderboard({
      votes: [vote('r1', [A, B], A), vote('r2', [A, B], B), vote('r3', [A, B], A), judged],
      figures: [],
      labelOf: () => undefined,
    })
    expect(board.votes).toBe(3)
    expect(board.no_verdict).toBe(1)
    // Three votes cannot separate two targets.
    expect(board.tied_with_leader).toEqual([B])
  })
})
