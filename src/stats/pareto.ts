export interface ParetoPoint {
  id: string
  /** Higher is better (a rating, a pass rate). */
  quality: number
  /** Lower is better (median cost per answer, median TTFT); null when unknown. */
  cost: number | null
}

/**
 * The ids on the Pareto front of quality against cost: a point is on it when no other point has quality ≥ and
 * cost ≤ with at least one of the two strictly better. Equal points do not dominate each other, so duplicates
 * are on the front together.
 *
 * A point with an unknown (null) or non-finite cost or quality is never on the front and dominates nothing:
 * the front claims "nothing is as good for less", and an unknown cost can be shown neither cheaper nor dearer
 * (treating it as 0 would invent a price). O(n²), fine for tens of targets.
 */
export function paretoFront(points: readonly ParetoPoint[]): Set<string> {
  const ids = new Set<string>()
  for (const p of points) {
    if (ids.has(p.id)) throw new RangeError(`duplicate point id: ${p.id}`)
    ids.add(p.id)
  }
  const known = points.filter(
    (p): p is ParetoPoint & { cost: number } =>
      p.cost !== null && Number.isFinite(p.cost) && Number.isFinite(p.quality),
  )
  const front = new Set<string>()
  for (const p of known) {
    const dominated = known.some(
      (o) => o.quality >= p.quality && o.cost <= p.cost && (o.quality > p.quality || o.cost < p.cost),
    )
    if (!dominated) front.add(p.id)
  }
  return front
}
