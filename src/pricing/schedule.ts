import type { UnitPrice } from '../domain/types.ts'

/**
 * Juxta's own dated price entries, for what the price library gets wrong or lacks. The library can attach
 * either a start date or a time-of-day window to a price, not both, and has no weekdays; DeepSeek's history
 * needs all three, so overrides are eras (from/until) that may carry time-of-day windows.
 */
export type Weekday = 'Sun' | 'Mon' | 'Tue' | 'Wed' | 'Thu' | 'Fri' | 'Sat'
const WEEKDAYS: ReadonlyArray<Weekday> = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']

export interface PriceWindow {
  /** Shown in the price source, e.g. "off-peak (16:30–00:30 UTC)". */
  label: string
  /** UTC time of day "HH:MM", start inclusive, end exclusive; a window may wrap past midnight. */
  start: string
  end: string
  /** UTC weekdays of the request on which the window applies; every day when absent. */
  days?: Weekday[]
  price: UnitPrice
}

interface EntryBase {
  /** UTC instant (ISO 8601 with Z), inclusive. */
  from: string
  /** UTC instant, exclusive; open-ended when absent. */
  until?: string
  /** Names the era in the price source, e.g. "V3.2" or "standard (00:30–16:30 UTC)". */
  label: string
}

export interface PricedEntry extends EntryBase {
  price: UnitPrice
  /** The first matching window's price replaces `price`. */
  windows?: PriceWindow[]
}

/** The model id is billed as another model of the same provider during this era. */
export interface AliasEntry extends EntryBase {
  bill_as: string
}

export type DatedEntry = PricedEntry | AliasEntry

/** Price-book provider id → model id (lower case) → dated entries in time order. */
export type PriceOverrides = Record<string, Record<string, DatedEntry[]>>

export type OverrideHit =
  | { kind: 'price'; price: UnitPrice; source: string }
  /** The overrides own this model id but have no price at that instant (before launch, after retirement). */
  | { kind: 'not-at-date' }
  /** The overrides say nothing about this model id: ask the next book. */
  | { kind: 'unclaimed' }

const isAlias = (e: DatedEntry): e is AliasEntry => 'bill_as' in e

function secondsOfDay(hhmm: string): number | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm)
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 : undefined
}

function inWindow(w: PriceWindow, at: Date): boolean {
  if (w.days && !w.days.includes(WEEKDAYS[at.getUTCDay()]!)) return false
  const s = at.getUTCHours() * 3600 + at.getUTCMinutes() * 60 + at.getUTCSeconds()
  const start = secondsOfDay(w.start) ?? NaN
  const end = secondsOfDay(w.end) ?? NaN
  return start <= end ? s >= start && s < end : s >= start || s < end
}

const covers = (e: DatedEntry, t: number) =>
  t >= Date.parse(e.from) && (e.until === undefined || t < Date.parse(e.until))

/** The override price of `model` at instant `at`, with the dated entry that gave it. */
export function resolveOverride(overrides: PriceOverrides, provider: string, model: string, at: Date): OverrideHit {
  return resolve(overrides, provider.toLowerCase(), model.toLowerCase().trim(), at, 0)
}

function resolve(overrides: PriceOverrides, provider: string, model: string, at: Date, depth: number): OverrideHit {
  // Model ids come from upstream replies too: only own keys count ("constructor" is no model).
  const models = Object.hasOwn(overrides, provider) ? overrides[provider] : undefined
  const entries = models && Object.hasOwn(models, model) ? models[model] : undefined
  if (!entries) return { kind: 'unclaimed' }
  const entry = entries.find((e) => covers(e, at.getTime()))
  if (!entry) return { kind: 'not-at-date' }
  if (isAlias(entry)) {
    // Aliases point at priced entries; the depth guard only stops a data mistake from recursing forever.
    if (depth > 3) return { kind: 'not-at-date' }
    const target = resolve(overrides, provider, entry.bill_as, at, depth + 1)
    if (target.kind !== 'price') return { kind: 'not-at-date' }
    return { ...target, source: `${model} ${entry.from.slice(0, 10)} ${entry.label} → ${target.source}` }
  }
  const window = entry.windows?.find((w) => inWindow(w, at))
  const label = window?.label ?? entry.label
  return { kind: 'price', price: window?.price ?? entry.price, source: `${model} ${entry.from.slice(0, 10)} ${label}` }
}

const validPrice = (p: UnitPrice) =>
  [p.input, p.cached_input, p.output, p.reasoning_output ?? 0].every((n) => Number.isFinite(n) && n >= 0)

/** Data checks for an overrides table; returns one line per problem (tests require none). */
export function checkOverrides(overrides: PriceOverrides): string[] {
  const problems: string[] = []
  for (const [provider, models] of Object.entries(overrides)) {
    for (const [model, entries] of Object.entries(models)) {
      const where = `${provider}/${model}`
      if (model !== model.toLowerCase().trim()) problems.push(`${where}: model ids are matched in lower case`)
      let previousUntil: number | undefined = -Infinity
      entries.forEach((e, i) => {
        const from = Date.parse(e.from)
        const until = e.until === undefined ? undefined : Date.parse(e.until)
        if (!/Z$/.test(e.from) || Number.isNaN(from)) problems.push(`${where}[${i}]: from must be an ISO UTC instant`)
        if (until !== undefined && (!/Z$/.test(e.until!) || Number.isNaN(until) || until <= from)) {
          problems.push(`${where}[${i}]: until must be a UTC instant after from`)
        }
        if (previousUntil === undefined || from < previousUntil)
          problems.push(`${where}[${i}]: overlaps the entry before`)
        previousUntil = until
        if (isAlias(e)) {
          const target = resolve(overrides, provider, e.bill_as, new Date(from), 1)
          if (target.kind !== 'price') problems.push(`${where}[${i}]: bill_as ${e.bill_as} has no price at ${e.from}`)
          return
        }
        if (!validPrice(e.price)) problems.push(`${where}[${i}]: invalid price`)
        for (const w of e.windows ?? []) {
          if (secondsOfDay(w.start) === undefined || secondsOfDay(w.end) === undefined || w.start === w.end) {
            problems.push(`${where}[${i}] ${w.label}: window times must be distinct HH:MM`)
          }
          if (!validPrice(w.price)) problems.push(`${where}[${i}] ${w.label}: invalid price`)
        }
      })
    }
  }
  return problems
}
