import { createRequire } from 'node:module'
import type { calcPrice as CalcPrice, ModelInfo, ModelPrice } from '@pydantic/genai-prices'

// Loaded on the first price look-up: its bundled price data costs ~17 MiB that an idle server need not hold.
const require = createRequire(import.meta.url)
let calcPriceImpl: typeof CalcPrice | undefined
const calcPrice: typeof CalcPrice = (...args) => {
  calcPriceImpl ??= (require('@pydantic/genai-prices') as { calcPrice: typeof CalcPrice }).calcPrice
  return calcPriceImpl(...args)
}
import type { UnitPrice } from '../domain/types.ts'

/**
 * The maintained price library, bundle only: `updatePrices` is never called, so prices change only when the
 * pinned version does and every figure names the version that priced it. Tests check this constant against
 * the installed package.
 */
export const GENAI_PRICES_VERSION = '0.1.8'

export interface LibraryHit {
  price: UnitPrice
  /** e.g. "genai-prices 0.1.8: openai/o3 from 2025-06-10" */
  source: string
}

type PriceValue = ModelPrice[string]

/** The price that applies at `inputTokens`: tiers switch on the whole prompt's size, as the library does. */
function atTier(value: PriceValue, inputTokens: number): { price: number; tier?: number } | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'number') return { price: value }
  let result: { price: number; tier?: number } = { price: value.base }
  for (const t of [...value.tiers].sort((a, b) => a.start - b.start)) {
    if (inputTokens > t.start) result = { price: t.price, tier: t.start }
  }
  return result
}

const hhmm = (time: string) => time.slice(0, 5)

/** Names the dated entry of a model's price history that the library chose. */
function entryNote(model: ModelInfo, chosen: ModelPrice): string {
  if (!Array.isArray(model.prices)) return ''
  const c = model.prices.find((p) => p.prices === chosen)?.constraint
  if (!c) {
    // The default entry of a dated history: say until when it applied.
    const starts = model.prices
      .flatMap((p) => (p.constraint?.type === 'start_date' ? [p.constraint.start_date] : []))
      .sort()
    return starts[0] ? ` before ${starts[0]}` : ''
  }
  return c.type === 'start_date' ? ` from ${c.start_date}` : ` ${hhmm(c.start_time)}–${hhmm(c.end_time)} UTC`
}

/**
 * The library's unit price for a model at an instant. Only the matched price entry is used: the amounts are
 * computed by Juxta in integer pico-dollars, never from the library's floating-point totals.
 */
export function libraryPrice(provider: string, model: string, at: Date, inputTokens: number): LibraryHit | undefined {
  const match = matchAt(provider, model, at)
  if (!match) return undefined
  const { found, note } = match
  const p = found.model_price
  const input = atTier(p.input_mtok, inputTokens)
  const output = atTier(p.output_mtok, inputTokens)
  // A text model needs both; anything else (embeddings, images) is not a price Juxta can apply.
  if (!input || !output) return undefined
  const cached = atTier(p.cache_read_mtok, inputTokens) ?? input
  const reasoning = atTier(p.output_reasoning_mtok, inputTokens)
  const price: UnitPrice = { input: input.price, cached_input: cached.price, output: output.price }
  if (reasoning) price.reasoning_output = reasoning.price
  const tier = input.tier ?? output.tier
  const tierNote = tier === undefined ? '' : ` (prompt above ${tier} tokens)`
  return {
    price,
    source: `${note}${tierNote}`,
  }
}

type Found = NonNullable<ReturnType<typeof calcPrice>>

/** The library's match for a provider and model and the dated entry it chose, with the instants it holds for. */
interface Match {
  found: Found
  /** The price source without its tier note. */
  note: string
  /** It holds from `from` (inclusive) to `to` (exclusive), epoch ms. */
  from: number
  to: number
}

const MAX_MATCHES = 1000
/**
 * Look-ups by provider and model id: the library scans its providers and models (matching rules, regexes) on
 * every call, about 0.1 ms a request (`npm run bench`). Which model matches does not depend on the time, and
 * which of its dated entries applies changes only at the edges its constraints name, so a match is kept until
 * the next edge. The bundle never changes while the process runs (`updatePrices` is never called).
 */
const matches = new Map<string, Match | null>()

function matchAt(provider: string, model: string, at: Date): Match | null {
  const key = `${provider}\n${model}`
  const t = at.getTime()
  const kept = matches.get(key)
  if (kept === null) return null
  if (kept && t >= kept.from && t < kept.to) return kept
  let found: ReturnType<typeof calcPrice>
  try {
    found = calcPrice({}, model, { providerId: provider, timestamp: at })
  } catch {
    // Malformed data for one model must not fail a run: it is simply not priced by this book.
    return null
  }
  if (matches.size >= MAX_MATCHES) matches.clear()
  if (!found) {
    matches.set(key, null)
    return null
  }
  const note =
    `genai-prices ${GENAI_PRICES_VERSION}: ${found.provider.id}/${found.model.id}` +
    `${entryNote(found.model, found.model_price)}`
  const match = { found, note, ...heldAround(found.model, t) }
  matches.set(key, match)
  return match
}

const DAY_MS = 86_400_000

/**
 * The instants around `t` between which the library picks the same dated entry of `model`: the nearest edges of
 * its start dates and daily windows (as the library computes them), kept 1 ms clear of an edge so that
 * floating-point rounding of a window's seconds never matters. Empty (never reused) for anything else.
 */
export function heldAround(model: ModelInfo, t: number): { from: number; to: number } {
  if (!Array.isArray(model.prices)) return { from: Number.NEGATIVE_INFINITY, to: Number.POSITIVE_INFINITY }
  const never = { from: t, to: t }
  const edges: number[] = []
  const day = Math.floor(t / DAY_MS) * DAY_MS
  for (const { constraint: c } of model.prices) {
    if (c === undefined) continue
    if (c.type === 'start_date') {
      edges.push(new Date(c.start_date).getTime())
    } else if (c.type === 'time_of_date') {
      for (const time of [c.start_time, c.end_time]) {
        const seconds = secondsOfDay(time)
        if (seconds === undefined) return never
        for (const d of [day - DAY_MS, day, day + DAY_MS]) edges.push(d + seconds * 1000)
      }
    } else {
      return never
    }
  }
  let below = Number.NEGATIVE_INFINITY
  let above = Number.POSITIVE_INFINITY
  for (const e of edges) {
    if (Number.isNaN(e)) return never
    if (e <= t && e > below) below = e
    if (e > t && e < above) above = e
  }
  return { from: below === t ? t : below + 1, to: above - 1 }
}

/** A time-of-day constraint in seconds after 00:00 UTC, parsed as the library parses it; undefined if malformed. */
function secondsOfDay(time: string): number | undefined {
  const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/.exec(time)
  if (!m) return undefined
  const [, h, min, sec, frac = '', zone, sign, oh = '00', om = '00'] = m
  if (Number(h) > 23 || Number(min) > 59 || Number(sec) > 59 || oh > '23' || om > '59') return undefined
  const local = Number(h) * 3600 + Number(min) * 60 + Number(sec) + Number(`0.${frac}`)
  const offset = zone === 'Z' ? 0 : (sign === '+' ? 1 : -1) * (Number(oh) * 60 + Number(om)) * 60
  return (local - offset + 86400) % 86400
}
