/**
 * At most `max` items spread evenly over the list (every k-th, the first included), in their order. Even and
 * deterministic: the same study always draws the same points, and a long list is thinned, never cut short.
 */
export function evenSample<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items]
  if (max <= 0) return []
  const out: T[] = []
  for (let i = 0; i < max; i++) out.push(items[Math.floor((i * items.length) / max)]!)
  return out
}
