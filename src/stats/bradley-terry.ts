import { percentileInterval, resampleCount } from './bootstrap.ts'
import { randomIndex, seededRandom } from './random.ts'

/**
 * Bradley-Terry ratings from "best answer" votes: P(i beats j) = p_i / (p_i + p_j). Unlike online Elo the fit
 * does not depend on the order of the votes. Fitted by Hunter's (2004) MM algorithm on a dense matrix of win
 * counts, shown on the Elo scale, with intervals from a seeded bootstrap over whole votes.
 */

/** A vote on one run: the best target, or a tie between all of them, or all bad (also a tie). */
export interface Vote {
  targets: readonly string[]
  winner: string | 'tie' | 'all_bad'
}

/** One comparison: `score` is a's (1 a won, 0.5 tie, 0 b won). */
export interface Pair {
  a: string
  b: string
  score: 1 | 0.5 | 0
}

export interface FitOptions {
  /** Virtual ties between every two targets (default 1), so that no strength is 0 or infinite. */
  prior?: number
  /** Stop when no strength changes by more than this, relatively, in a sweep (default 1e-9). */
  tolerance?: number
  /** Stop after this many sweeps at the latest (default 10,000). */
  maxSweeps?: number
}

export interface RateOptions extends FitOptions {
  /** Seed of the bootstrap: the same votes and seed always give the same intervals. */
  seed: string | number
  /** Bootstrap resamples of the votes, at least 1,000 (default 2,000). */
  resamples?: number
  /** Coverage of the intervals (default 0.95). */
  level?: number
}

export interface TargetRating {
  target: string
  /** Elo scale: 1000 + 400·log10(strength), centred so the mean over the rated targets is 1000. */
  rating: number
  /** Percentile-bootstrap interval of `rating` (2.5th, 97.5th percentiles for level 0.95). */
  ci95: [number, number]
  /** 1 + the number of targets whose interval lies wholly above this one's: overlapping targets share a rank. */
  rank: number
  /** Votes the target took part in (with at least one other target). */
  votes: number
  /** Per pair: a 3-target vote won by this target is 2 wins; a 3-target tie is 2 ties for each. */
  wins: number
  losses: number
  ties: number
  /** (wins + ties / 2) / pairs: the share of its comparisons it won, a tie counting half. */
  win_rate: number
}

export interface RatedVotes {
  method: 'bradley-terry'
  /** How the ratings were computed, prior included, for a note under the table. */
  prior: string
  /** Votes counted (votes with fewer than two targets give no comparison and are not). */
  votes: number
  /** Best first (by rating, then by name). */
  targets: TargetRating[]
}

const DEFAULT_PRIOR = 1
const DEFAULT_TOLERANCE = 1e-9
const DEFAULT_MAX_SWEEPS = 10_000

/**
 * The comparisons a vote stands for: its winner beats every other target; "tie" and "all_bad" are ties between
 * every two of its targets. Throws on a repeated target or a winner that is not one of the targets.
 */
export function pairsOfVote(vote: Vote): Pair[] {
  const { targets, winner } = vote
  if (new Set(targets).size !== targets.length) throw new RangeError('a vote names a target twice')
  if (winner === 'tie' || winner === 'all_bad') {
    const pairs: Pair[] = []
    for (let i = 0; i < targets.length; i++) {
      for (let j = i + 1; j < targets.length; j++) pairs.push({ a: targets[i]!, b: targets[j]!, score: 0.5 })
    }
    return pairs
  }
  if (!targets.includes(winner)) throw new RangeError(`the winner ${winner} is not one of the vote's targets`)
  return targets.filter((t) => t !== winner).map((loser) => ({ a: winner, b: loser, score: 1 }))
}

interface Settings {
  prior: number
  tolerance: number
  maxSweeps: number
}

function settingsOf(options: FitOptions | undefined): Settings {
  const prior = options?.prior ?? DEFAULT_PRIOR
  const tolerance = options?.tolerance ?? DEFAULT_TOLERANCE
  const maxSweeps = options?.maxSweeps ?? DEFAULT_MAX_SWEEPS
  if (!(Number.isFinite(prior) && prior > 0)) throw new RangeError(`prior must be positive, got ${prior}`)
  if (!(tolerance > 0)) throw new RangeError(`tolerance must be positive, got ${tolerance}`)
  if (!Number.isInteger(maxSweeps) || maxSweeps < 1) throw new RangeError(`maxSweeps must be ≥ 1, got ${maxSweeps}`)
  return { prior, tolerance, maxSweeps }
}

/**
 * Fits strengths on a dense k×k matrix, `wins[i·k + j]` = i's wins over j (a tie is 0.5 each way), over the
 * targets with `active[i]` set. Each MM sweep updates p_i ← W_i / Σ_j n_ij / (p_i + p_j) in place (cyclically,
 * which converges faster than updating all at once), the prior adding `prior` virtual ties to every active
 * pair; then rescales to geometric mean 1. Reads the starting point from `p` (1 for a cold start) and writes
 * the fit there; inactive entries are left alone.
 */
function fitDense(
  wins: Float64Array,
  k: number,
  active: Uint8Array,
  settings: Settings,
  p: Float64Array,
  scratch: Scratch,
): void {
  const { ids, total, games, q, previous } = scratch
  const { prior } = settings
  // Work on the active targets only, packed, with a zero diagonal so the inner loop needs no test.
  let m = 0
  for (let i = 0; i < k; i++) if (active[i]) ids[m++] = i
  for (let a = 0; a < m; a++) {
    const i = ids[a]!
    let w = (prior / 2) * (m - 1)
    for (let b = 0; b < m; b++) {
      const j = ids[b]!
      if (a === b) {
        games[a * m + b] = 0
        continue
      }
      w += wins[i * k + j]!
      games[a * m + b] = wins[i * k + j]! + wins[j * k + i]! + prior
    }
    total[a] = w
    q[a] = p[i]!
  }
  for (let sweep = 0; sweep < settings.maxSweeps; sweep++) {
    let logSum = 0
    for (let a = 0; a < m; a++) {
      const qa = q[a]!
      previous[a] = qa
      let denominator = 0
      for (let b = 0; b < m; b++) denominator += games[a * m + b]! / (qa + q[b]!)
      q[a] = total[a]! / denominator
      logSum += Math.log(q[a]!)
    }
    const scale = Math.exp(-logSum / m)
    let change = 0
    for (let a = 0; a < m; a++) {
      q[a] = q[a]! * scale
      change = Math.max(change, Math.abs(q[a]! - previous[a]!) / previous[a]!)
    }
    if (change < settings.tolerance) break
  }
  for (let a = 0; a < m; a++) p[ids[a]!] = q[a]!
}

interface Scratch {
  ids: Int32Array
  total: Float64Array
  games: Float64Array
  q: Float64Array
  previous: Float64Array
}

function scratchFor(k: number): Scratch {
  return {
    ids: new Int32Array(k),
    total: new Float64Array(k),
    games: new Float64Array(k * k),
    q: new Float64Array(k),
    previous: new Float64Array(k),
  }
}

/** Index of every target named in the pairs, in name order so results do not depend on input order. */
function indexTargets(names: Iterable<string>): Map<string, number> {
  return new Map([...new Set(names)].sort().map((name, i) => [name, i]))
}

function checkPair(pair: Pair): void {
  if (pair.a === pair.b) throw new RangeError(`a target cannot be compared with itself: ${pair.a}`)
  if (pair.score !== 1 && pair.score !== 0.5 && pair.score !== 0) throw new RangeError(`bad score ${pair.score}`)
}

/**
 * Bradley-Terry strengths (geometric mean 1) of every target in the pairs, by maximum likelihood with a prior
 * of `prior` virtual ties between every two targets (default 1): a target that never won or never lost keeps
 * a finite strength. Ties count half a win each way.
 */
export function fitBradleyTerry(pairs: readonly Pair[], options?: FitOptions): Map<string, number> {
  const settings = settingsOf(options)
  const index = indexTargets(pairs.flatMap((pair) => [pair.a, pair.b]))
  const k = index.size
  const wins = new Float64Array(k * k)
  for (const pair of pairs) {
    checkPair(pair)
    const a = index.get(pair.a)!
    const b = index.get(pair.b)!
    wins[a * k + b] = wins[a * k + b]! + pair.score
    wins[b * k + a] = wins[b * k + a]! + 1 - pair.score
  }
  const p = new Float64Array(k).fill(1)
  if (k > 0) fitDense(wins, k, new Uint8Array(k).fill(1), settings, p, scratchFor(k))
  return new Map([...index].map(([name, i]) => [name, p[i]!]))
}

/** Elo-scale ratings of strengths: 1000 + 400·log10(p), shifted so their mean is exactly 1000. */
export function eloScale(strengths: ReadonlyMap<string, number>): Map<string, number> {
  const raw = [...strengths].map(([name, p]) => {
    if (!(Number.isFinite(p) && p > 0)) throw new RangeError(`strength of ${name} must be positive, got ${p}`)
    return [name, 400 * Math.log10(p)] as const
  })
  const mean = raw.reduce((sum, [, r]) => sum + r, 0) / (raw.length || 1)
  return new Map(raw.map(([name, r]) => [name, 1000 + r - mean]))
}

/** Elo ratings of the active entries of a dense strength vector, centred on them; NaN for inactive ones. */
function denseElo(p: Float64Array, active: Uint8Array, out: Float64Array, offset: number): void {
  let sum = 0
  let count = 0
  for (let i = 0; i < p.length; i++) {
    if (!active[i]) continue
    sum += 400 * Math.log10(p[i]!)
    count++
  }
  const mean = sum / count
  for (let i = 0; i < p.length; i++) out[offset + i] = active[i] ? 1000 + 400 * Math.log10(p[i]!) - mean : Number.NaN
}

/**
 * Every distinct vote as the cells it adds to the win matrix, flattened into typed arrays once (pattern v owns
 * cells[cellStart[v] .. cellStart[v + 1])), so a bootstrap resample is a pass over numbers, not objects.
 */
interface EncodedVotes {
  cellStart: Int32Array
  cells: Int32Array
  amounts: Float64Array
}

/**
 * Fills `wins` from pattern multiplicities (`times[v]` copies of pattern v) and marks as active every target in a
 * comparison (every target of a counted vote is in one).
 */
function accumulate(votes: EncodedVotes, times: Int32Array, k: number, wins: Float64Array, active: Uint8Array): void {
  const { cellStart, cells, amounts } = votes
  wins.fill(0)
  for (let v = 0; v < times.length; v++) {
    const t = times[v]!
    if (t === 0) continue
    for (let c = cellStart[v]!; c < cellStart[v + 1]!; c++) {
      const cell = cells[c]!
      wins[cell] = wins[cell]! + t * amounts[c]!
    }
  }
  for (let i = 0; i < k; i++) {
    let seen = 0
    for (let j = 0; j < k; j++) seen += wins[i * k + j]! + wins[j * k + i]!
    active[i] = seen > 0 ? 1 : 0
  }
}

/** The method note shown with a leaderboard. */
export function methodNote(settings: { prior: number; resamples: number; level: number }): string {
  const ties = settings.prior === 1 ? 'one virtual tie' : `${settings.prior} virtual ties`
  return (
    'Bradley-Terry maximum likelihood (MM algorithm, Hunter 2004); a tie counts half a win each way; prior: ' +
    `${ties} between every two targets, so a target that never won or never lost keeps a finite rating; ` +
    'Elo scale 1000 + 400·log10(strength), mean 1000; ' +
    `${Math.round(settings.level * 100)}% interval: percentile bootstrap over whole votes ` +
    `(${settings.resamples} resamples, seeded)`
  )
}

/**
 * Ratings of every target from votes, best first. The point rating is the fit on all votes; its interval is
 * the percentile bootstrap of refits on resampled votes (whole votes, with replacement, seeded). In a resample
 * where a target takes part in no vote it has no rating, and its interval is over the resamples where it
 * does. A target only ever alone in a vote has no comparison and is left out. The result depends on the votes
 * and the seed only, not on the order of the votes.
 */
export function rateVotes(votes: readonly Vote[], options: RateOptions): RatedVotes {
  const settings = settingsOf(options)
  const resamples = resampleCount(options.resamples)
  const level = options.level ?? 0.95
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`)
  const prior = methodNote({ prior: settings.prior, resamples, level })

  // In a canonical order, so the bootstrap (which draws votes by position) depends on the votes, not their order.
  const counted = votes
    .map((vote) => ({ vote, pairs: pairsOfVote(vote), key: JSON.stringify([[...vote.targets].sort(), vote.winner]) }))
    .filter((v) => v.pairs.length > 0)
    .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0))
  const index = indexTargets(counted.flatMap((v) => v.vote.targets))
  const names = [...index.keys()]
  const k = names.length
  const n = counted.length
  if (n === 0) return { method: 'bradley-terry', prior, votes: 0, targets: [] }

  // Identical votes (same targets, same winner) are one pattern with a count: arena votes repeat the same
  // few line-ups, and a resample then adds a handful of patterns instead of every vote.
  const tally = names.map(() => ({ votes: 0, wins: 0, losses: 0, ties: 0 }))
  const cells: number[] = []
  const amounts: number[] = []
  const starts: number[] = [0]
  const patternOf = new Int32Array(n)
  counted.forEach(({ vote, pairs, key }, v) => {
    for (const target of vote.targets) tally[index.get(target)!]!.votes++
    for (const pair of pairs) {
      const a = index.get(pair.a)!
      const b = index.get(pair.b)!
      if (pair.score === 0.5) {
        tally[a]!.ties++
        tally[b]!.ties++
      } else {
        tally[a]!.wins++
        tally[b]!.losses++
      }
    }
    if (v > 0 && key === counted[v - 1]!.key) {
      patternOf[v] = patternOf[v - 1]!
      return
    }
    patternOf[v] = starts.length - 1
    for (const pair of pairs) {
      const a = index.get(pair.a)!
      const b = index.get(pair.b)!
      cells.push(a * k + b)
      amounts.push(pair.score)
      if (pair.score !== 1) {
        cells.push(b * k + a)
        amounts.push(1 - pair.score)
      }
    }
    starts.push(cells.length)
  })
  const encoded: EncodedVotes = {
    cellStart: Int32Array.from(starts),
    cells: Int32Array.from(cells),
    amounts: Float64Array.from(amounts),
  }
  const patterns = starts.length - 1

  const wins = new Float64Array(k * k)
  const active = new Uint8Array(k)
  const scratch = scratchFor(k)
  const times = new Int32Array(patterns)
  for (let v = 0; v < n; v++) times[patternOf[v]!]!++
  accumulate(encoded, times, k, wins, active)
  const fitted = new Float64Array(k).fill(1)
  fitDense(wins, k, active, settings, fitted, scratch)
  const point = new Float64Array(k)
  denseElo(fitted, active, point, 0)

  // Each refit starts from the full fit: the resampled optimum is near it, so few sweeps are needed.
  const random = seededRandom(options.seed)
  const boot = new Float64Array(resamples * k)
  const p = new Float64Array(k)
  for (let r = 0; r < resamples; r++) {
    times.fill(0)
    for (let d = 0; d < n; d++) times[patternOf[randomIndex(random, n)]!]!++
    accumulate(encoded, times, k, wins, active)
    p.set(fitted)
    fitDense(wins, k, active, settings, p, scratch)
    denseElo(p, active, boot, r * k)
  }

  const column = new Array<number>(resamples)
  const intervals = names.map((_, i): [number, number] => {
    for (let r = 0; r < resamples; r++) column[r] = boot[r * k + i]!
    return percentileInterval(column, level) ?? [point[i]!, point[i]!]
  })
  const targets = names.map((target, i): TargetRating => {
    const t = tally[i]!
    const pairs = t.wins + t.losses + t.ties
    const ci = intervals[i]!
    return {
      target,
      rating: point[i]!,
      ci95: [ci[0], ci[1]],
      rank: 1 + intervals.filter((other) => other[0] > ci[1]).length,
      votes: t.votes,
      wins: t.wins,
      losses: t.losses,
      ties: t.ties,
      win_rate: (t.wins + t.ties / 2) / pairs,
    }
  })
  targets.sort((x, y) => y.rating - x.rating || (x.target < y.target ? -1 : 1))
  return { method: 'bradley-terry', prior, votes: n, targets }
}
