import { bootstrapInterval, resampleCount } from './bootstrap.ts'
import { median, nearestRankIndex } from './quantile.ts'

export interface PairedRatioInput {
  /** Per prompt key, the costs in USD of target A's repeats on that prompt (null = unknown cost). */
  a: ReadonlyMap<string, readonly (number | null)[]>
  /** The same for target B, the denominator. */
  b: ReadonlyMap<string, readonly (number | null)[]>
  /** Seed of the bootstrap (e.g. the study id): the same data and seed always give the same interval. */
  seed: string | number
  /** Bootstrap resamples, at least 1,000 (default 2,000). */
  resamples?: number
  /** Fewest usable prompts for an interval (default 5); below it `ci95` is null and `note` says why. */
  minPrompts?: number
}

export interface PairedRatio {
  /** Median over usable prompts of r_i = median cost of A on prompt i / median cost of B on it. */
  median: number | null
  /** exp(mean(log r_i)); 0 when some r_i is 0 (A cost nothing there), as the geometric mean of a set with a 0. */
  geo_mean: number | null
  /** Σ median cost of A / Σ median cost of B over the usable prompts: the bill for one typical run of each. */
  total_ratio: number | null
  /** 95% percentile-bootstrap interval of `median`, resampling prompts; null with a note when too few. */
  ci95: [number, number] | null
  /** Usable prompts: a known cost on both sides and B's median cost above 0. */
  prompts: number
  /** Prompts left out: no known cost on one side (or the prompt missing from it), or B's median cost 0. */
  excluded: { unknown: number; zero_b: number }
  note?: string
}

export const DEFAULT_MIN_PROMPTS = 5

/** The median of the known costs of one side on one prompt; null when none is known. */
function promptMedian(costs: readonly (number | null)[] | undefined): number | null {
  const known: number[] = []
  for (const cost of costs ?? []) {
    if (cost === null) continue
    if (!Number.isFinite(cost) || cost < 0) throw new RangeError(`not a cost: ${cost}`)
    known.push(cost)
  }
  return median(known)
}

/** Why no prompt was usable, in words a person reads next to "no ratio". */
function noRatioNote(excluded: { unknown: number; zero_b: number }): string {
  if (excluded.zero_b === 0) return 'no prompt with a known cost on both sides'
  if (excluded.unknown === 0) return 'the cheaper target cost $0 on every prompt'
  return 'on every prompt a cost is unknown or the cheaper target cost $0'
}

/** Nearest-rank median of ratios, reusing one scratch array across bootstrap resamples. */
function medianStatistic(): (sample: readonly number[]) => number {
  let scratch = new Float64Array(0)
  return (sample) => {
    if (scratch.length !== sample.length) scratch = new Float64Array(sample.length)
    scratch.set(sample)
    scratch.sort()
    return scratch[nearestRankIndex(0.5, scratch.length)]!
  }
}

/**
 * The paired cost ratio of target A against target B over a prompt set (costs differ far more between prompts
 * than between targets on one prompt, so each prompt is compared with itself). For every prompt key in either
 * map, r_i = median(A's known costs on i) / median(B's known costs on i), medians by nearest rank. A prompt is
 * left out, and counted, when either side has no known cost on it (`unknown`) or B's median is 0 (`zero_b`,
 * e.g. a free local model); A's median may be 0 (r_i = 0).
 *
 * The point estimate is the median of r_i; `geo_mean` and `total_ratio` are second and third figures. `ci95`
 * bootstraps prompts (never cells: repeats of one prompt are not independent), in prompt-key order so the
 * result depends on the data and seed only, not on map order.
 */
export function pairedRatio(input: PairedRatioInput): PairedRatio {
  const minPrompts = input.minPrompts ?? DEFAULT_MIN_PROMPTS
  if (!Number.isInteger(minPrompts) || minPrompts < 1) {
    throw new RangeError(`minPrompts must be a whole number of at least 1, got ${minPrompts}`)
  }
  const resamples = resampleCount(input.resamples)
  const keys = [...new Set([...input.a.keys(), ...input.b.keys()])].sort()
  const ratios: number[] = []
  let sumA = 0
  let sumB = 0
  const excluded = { unknown: 0, zero_b: 0 }
  for (const key of keys) {
    const a = promptMedian(input.a.get(key))
    const b = promptMedian(input.b.get(key))
    if (a === null || b === null) excluded.unknown++
    else if (b === 0) excluded.zero_b++
    else {
      ratios.push(a / b)
      sumA += a
      sumB += b
    }
  }
  const prompts = ratios.length
  if (prompts === 0) {
    return {
      median: null,
      geo_mean: null,
      total_ratio: null,
      ci95: null,
      prompts,
      excluded,
      note: noRatioNote(excluded),
    }
  }
  const geoMean = ratios.includes(0) ? 0 : Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / prompts)
  const result: PairedRatio = {
    median: median(ratios),
    geo_mean: geoMean,
    total_ratio: sumA / sumB,
    ci95: null,
    prompts,
    excluded,
  }
  if (prompts < minPrompts) return { ...result, note: 'too few prompts for an interval' }
  return { ...result, ci95: bootstrapInterval(ratios, medianStatistic(), { seed: input.seed, resamples }) }
}
