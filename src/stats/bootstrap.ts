import { quantileOfSorted } from './quantile.ts'
import { randomIndex, seededRandom } from './random.ts'

export const DEFAULT_RESAMPLES = 2000
export const MIN_RESAMPLES = 1000

export interface BootstrapOptions {
  /** Seed of the resampling (e.g. the study id): the same seed and items always give the same interval. */
  seed: string | number
  /** Number of resamples, at least 1,000 (default 2,000). */
  resamples?: number
  /** Coverage of the interval, in (0, 1) (default 0.95). */
  level?: number
}

/** Checks and defaults the resample count: an interval from fewer than 1,000 resamples is too noisy to show. */
export function resampleCount(resamples: number | undefined): number {
  const count = resamples ?? DEFAULT_RESAMPLES
  if (!Number.isInteger(count) || count < MIN_RESAMPLES) {
    throw new RangeError(`resamples must be an integer of at least ${MIN_RESAMPLES}, got ${count}`)
  }
  return count
}

/**
 * The percentile-method interval of bootstrap statistics: their nearest-rank (1 − level)/2 and (1 + level)/2
 * quantiles (with 2,000 values and level 0.95: the 50th and 1,950th smallest). Non-finite values are left out;
 * null when none is left.
 */
export function percentileInterval(values: readonly number[], level = 0.95): [number, number] | null {
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`)
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b)
  const lo = quantileOfSorted(finite, (1 - level) / 2)
  const hi = quantileOfSorted(finite, (1 + level) / 2)
  return lo === null || hi === null ? null : [lo, hi]
}

/**
 * The statistic of each bootstrap resample: n items drawn with replacement from the n items, whole items
 * (e.g. prompts, not their repeats, which are not independent), in an order fixed by the seed. The sample
 * array passed to `statistic` is reused between calls: copy it to keep it.
 */
export function bootstrapStatistics<T>(
  items: readonly T[],
  statistic: (sample: readonly T[]) => number,
  options: Omit<BootstrapOptions, 'level'>,
): number[] {
  const count = resampleCount(options.resamples)
  const n = items.length
  if (n === 0) return []
  const random = seededRandom(options.seed)
  const sample = new Array<T>(n)
  const values = new Array<number>(count)
  for (let r = 0; r < count; r++) {
    for (let i = 0; i < n; i++) sample[i] = items[randomIndex(random, n)]!
    values[r] = statistic(sample)
  }
  return values
}

/**
 * A bootstrap confidence interval of `statistic` over `items` by the percentile method: resample whole items
 * with replacement (`resamples` times, default 2,000), compute the statistic on each resample and take the
 * (1 − level)/2 and (1 + level)/2 nearest-rank quantiles of the results. Deterministic for a seed.
 *
 * A resample whose statistic is not a finite number (NaN, ±∞: e.g. a ratio over a resample with no usable
 * item) is skipped; the interval is over the finite ones. Returns null when `items` is empty or no resample
 * gave a finite value.
 */
export function bootstrapInterval<T>(
  items: readonly T[],
  statistic: (sample: readonly T[]) => number,
  options: BootstrapOptions,
): [number, number] | null {
  const level = options.level ?? 0.95
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`)
  if (items.length === 0) {
    resampleCount(options.resamples)
    return null
  }
  return percentileInterval(bootstrapStatistics(items, statistic, options), level)
}
