import type { UnitPrice, Usage } from '../domain/types.ts'
import { costOf, type Pico, picoToUsd } from './money.ts'
import { type DatedEntry, type PricedEntry, type PriceOverrides, resolveOverride } from './schedule.ts'

/**
 * Price what-if: where a model's price depends on the hour or weekday (Juxta's dated overrides with time
 * windows, e.g. DeepSeek's peak / off-peak), what the same token usage would have cost in each price window.
 * Pure: the usage comes from stored cells, the schedule from the overrides table.
 */
export interface WhatIfQuery {
  overrides: PriceOverrides
  /** Price-book provider id (config `pricing`, else the provider id). */
  pricingProvider: string
  model: string
  /** The instant whose price era applies (the study's start). */
  at: Date
  cells: ReadonlyArray<{ usage: Usage | null; started_at: Date }>
}

export interface WhatIfWindow {
  /** The window's label(s) from the overrides, e.g. "peak (01:00–04:00 UTC Mon–Fri)". */
  label: string
  price: UnitPrice
  /** The whole usage at this window's price. */
  total_usd: number
  mean_usd: number
  /** Cells that actually started in this window. */
  cells_run: number
}

export interface WhatIf {
  /** The era's windows, cheapest first; windows with the same price are one row. */
  windows: WhatIfWindow[]
  /** Cells whose token counts are known (the others cannot be priced in any window). */
  priced_cells: number
  unpriced_cells: number
}

/** The what-if for one target, or null when its price does not depend on the time of day at `at`. */
export function priceWhatIf(q: WhatIfQuery): WhatIf | null {
  const entry = pricedEntryAt(q.overrides, q.pricingProvider.toLowerCase(), q.model.toLowerCase().trim(), q.at)
  if (!entry?.windows?.length) return null
  const groups: Array<{ labels: string[]; price: UnitPrice }> = [{ labels: [entry.label], price: entry.price }]
  for (const w of entry.windows) {
    const same = groups.find((g) => samePrice(g.price, w.price))
    if (same) same.labels.push(w.label)
    else groups.push({ labels: [w.label], price: w.price })
  }
  const usages = q.cells.filter((c) => c.usage && costOf(c.usage, entry.price) !== null)
  // The price each cell actually ran at, resolved once: a cell ran in a window when that price is the window's.
  const ranAt = usages.map((cell) => {
    const hit = resolveOverride(q.overrides, q.pricingProvider, q.model, cell.started_at)
    return hit.kind === 'price' ? hit.price : null
  })
  const windows = groups.map((g) => {
    let total: Pico = 0n
    for (const cell of usages) total += costOf(cell.usage!, g.price)!.total
    const run = ranAt.filter((price) => price !== null && samePrice(price, g.price)).length
    const mean = usages.length ? picoToUsd(total) / usages.length : 0
    return { label: g.labels.join('; '), price: g.price, total_usd: picoToUsd(total), mean_usd: mean, cells_run: run }
  })
  windows.sort((a, b) => a.total_usd - b.total_usd)
  return { windows, priced_cells: usages.length, unpriced_cells: q.cells.length - usages.length }
}

const samePrice = (a: UnitPrice, b: UnitPrice) =>
  a.input === b.input &&
  a.cached_input === b.cached_input &&
  a.output === b.output &&
  a.reasoning_output === b.reasoning_output

/** The priced era covering `at`, following an alias (a model billed as another) a few steps at most. */
function pricedEntryAt(overrides: PriceOverrides, provider: string, model: string, at: Date): PricedEntry | null {
  let id = model
  for (let depth = 0; depth < 4; depth++) {
    const models = Object.hasOwn(overrides, provider) ? overrides[provider] : undefined
    const entries: DatedEntry[] | undefined = models && Object.hasOwn(models, id) ? models[id] : undefined
    const t = at.getTime()
    const entry = entries?.find((e) => t >= Date.parse(e.from) && (e.until === undefined || t < Date.parse(e.until)))
    if (!entry) return null
    if (!('bill_as' in entry)) return entry
    id = entry.bill_as
  }
  return null
}
