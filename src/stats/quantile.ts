/**
 * Quantiles by the nearest-rank definition, used everywhere in Juxta: the q-quantile of n sorted values is
 * `x[ceil(q·n) − 1]` (and `x[0]` for q = 0). It always returns an observed value, which reads well for costs
 * and works unchanged on exact money (BigInt pico-dollars). For an even count the median is the lower of the
 * two middle values: median([1, 2, 3, 4]) = 2.
 */

export type Numeric = number | bigint

/** Ascending order for numbers and BigInts alike (`a − b` is a BigInt for BigInts, not a sort key). */
function ascending<T extends Numeric>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * A sorted copy (ascending). Throws on NaN, which has no place in an order: callers pass only known values
 * (unknown costs are left out before, and counted).
 */
export function sortedNumbers<T extends Numeric>(values: readonly T[]): T[] {
  for (const v of values) {
    if (typeof v === 'number' && Number.isNaN(v)) throw new RangeError('cannot order NaN')
  }
  return [...values].sort(ascending)
}

/**
 * The 0-based index of the nearest-rank q-quantile among n values. `q·n` is rounded to 9 decimals first so
 * that binary noise (0.7 × 10 = 7.000000000000001) does not move the rank up by one.
 */
export function nearestRankIndex(q: number, n: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`)
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`need at least one value, got ${n}`)
  const rank = Math.ceil(Math.round(q * n * 1e9) / 1e9)
  return Math.min(n, Math.max(1, rank)) - 1
}

/** The nearest-rank q-quantile of values already sorted ascending; null when there are none. */
export function quantileOfSorted<T extends Numeric>(sorted: readonly T[], q: number): T | null {
  if (sorted.length === 0) {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`)
    return null
  }
  return sorted[nearestRankIndex(q, sorted.length)]!
}

/** The nearest-rank q-quantile (q in [0, 1]) of values in any order; null when there are none. */
export function quantile<T extends Numeric>(values: readonly T[], q: number): T | null {
  return quantileOfSorted(sortedNumbers(values), q)
}

/** The nearest-rank median (the lower middle value for an even count); null when there are none. */
export function median<T extends Numeric>(values: readonly T[]): T | null {
  return quantile(values, 0.5)
}

/** The nearest-rank 90th percentile; null when there are none. */
export function p90<T extends Numeric>(values: readonly T[]): T | null {
  return quantile(values, 0.9)
}
