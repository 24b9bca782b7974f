/**
 * The Wilson score interval of a proportion: successes out of n independent trials (e.g. prompts where a
 * target was judged at least as good as the reference). Unlike p̂ ± z·√(p̂(1 − p̂)/n) it stays inside [0, 1]
 * and is not zero-width at 0 or n successes. z = 1.96 gives 95%. Null when n is 0.
 */
export function wilsonInterval(successes: number, n: number, z = 1.96): [number, number] | null {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a whole number, got ${n}`)
  if (!Number.isInteger(successes) || successes < 0 || successes > n) {
    throw new RangeError(`successes must be a whole number in [0, ${n}], got ${successes}`)
  }
  if (!(Number.isFinite(z) && z > 0)) throw new RangeError(`z must be positive, got ${z}`)
  if (n === 0) return null
  const p = successes / n
  const z2 = z * z
  const denominator = 1 + z2 / n
  const centre = (p + z2 / (2 * n)) / denominator
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))
  // Exact ends at 0 and n successes (the formula gives them up to rounding).
  const lo = successes === 0 ? 0 : Math.max(0, centre - half)
  const hi = successes === n ? 1 : Math.min(1, centre + half)
  return [lo, hi]
}
