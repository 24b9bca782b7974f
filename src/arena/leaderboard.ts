import { rateVotes } from '../stats/bradley-terry.ts'
import { paretoFront } from '../stats/pareto.ts'
import { median } from '../stats/quantile.ts'
import type { ResultFigure, Vote } from './types.ts'

export type { ResultFigure } from './types.ts'

export interface LeaderboardRow {
  target: string
  label: string
  rating: number
  ci95: [number, number]
  votes: number
  wins: number
  losses: number
  ties: number
  win_rate: number
  /** Median over this target's finished answers in the voted runs; null when none has a known cost (never 0). */
  median_cost_usd: number | null
  median_ttft_ms: number | null
  /** No other target has a rating at least as high and a median cost at least as low, one strictly. */
  pareto: boolean
}

/** `GET /api/leaderboard`: exactly this shape. */
export interface Leaderboard {
  votes: number
  method: 'bradley-terry'
  targets: LeaderboardRow[]
}

/** What the page shows besides the API's numbers. */
export interface LeaderboardView extends Leaderboard {
  /** How the ratings were computed (prior, scale, interval), for the note. */
  note: string
  /** Targets on the Pareto front of rating against median TTFT (the chart's toggle). */
  pareto_ttft: string[]
  /** Judge verdicts left out because the judge gave none (never guessed). */
  no_verdict: number
  /** Targets whose interval overlaps the leader's: not separated from it. */
  tied_with_leader: string[]
}

/** Fixed: the same votes always give the same intervals, whatever the query that selected them. */
export const LEADERBOARD_SEED = 'juxta-leaderboard'
export const LEADERBOARD_RESAMPLES = 1000

/**
 * Ratings, intervals and measured figures from votes. Human votes compare every target of their run (the
 * winner beats each other one; tie and all bad are ties between all); a judge's vote compares one pair. Both
 * enter Bradley-Terry as the same kind of input: a vote over its targets. Judge votes without a verdict are
 * counted apart and never rated.
 */
export function buildLeaderboard(options: {
  votes: readonly Vote[]
  figures: readonly ResultFigure[]
  labelOf: (target: string) => string | undefined
  resamples?: number
}): LeaderboardView {
  // A vote over a target twice (one judge's own run, voted on as if it were a comparison) compares nothing.
  const rated = options.votes.filter((v) => v.winner !== 'no_verdict' && new Set(v.targets).size === v.targets.length)
  const result = rateVotes(
    rated.map((v) => ({ targets: v.targets, winner: v.winner })),
    { seed: LEADERBOARD_SEED, resamples: options.resamples ?? LEADERBOARD_RESAMPLES },
  )
  const byTarget = new Map<string, ResultFigure[]>()
  const runs = new Set(rated.map((v) => v.run_id))
  for (const f of options.figures) {
    if (!runs.has(f.run_id)) continue
    const list = byTarget.get(f.target)
    if (list) list.push(f)
    else byTarget.set(f.target, [f])
  }
  const rows = result.targets.map((t) => {
    const figures = byTarget.get(t.target) ?? []
    const costs = figures.map((f) => f.cost_pico).filter((c): c is bigint => c !== null)
    const ttfts = figures.map((f) => f.ttft_ms).filter((x): x is number => x !== null && Number.isFinite(x))
    const cost = median(costs)
    return {
      target: t.target,
      label: options.labelOf(t.target) ?? figures.at(-1)?.label ?? t.target,
      rating: t.rating,
      ci95: t.ci95,
      votes: t.votes,
      wins: t.wins,
      losses: t.losses,
      ties: t.ties,
      win_rate: t.win_rate,
      median_cost_usd: cost === null ? null : Number(cost) / 1e12,
      median_ttft_ms: median(ttfts),
      pareto: false,
    }
  })
  const byCost = paretoFront(rows.map((r) => ({ id: r.target, quality: r.rating, cost: r.median_cost_usd })))
  const byTtft = paretoFront(rows.map((r) => ({ id: r.target, quality: r.rating, cost: r.median_ttft_ms })))
  for (const r of rows) r.pareto = byCost.has(r.target)
  const leader = rows[0]
  return {
    votes: result.votes,
    method: 'bradley-terry',
    targets: rows,
    note: result.prior,
    pareto_ttft: rows.filter((r) => byTtft.has(r.target)).map((r) => r.target),
    no_verdict: options.votes.length - rated.length,
    tied_with_leader: leader
      ? rows.filter((r) => r !== leader && r.ci95[1] >= leader.ci95[0]).map((r) => r.target)
      : [],
  }
}

/** The API's answer: the view without the page's extras. */
export function leaderboardJson(view: LeaderboardView): Leaderboard {
  return { votes: view.votes, method: view.method, targets: view.targets }
}
