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
  let found: ReturnType<typeof calcPrice>
  try {
    found = calcPrice({}, model, { providerId: provider, timestamp: at })
  } catch {
    // Malformed data for one model must not fail a run: it is simply not priced by this book.
    return undefined
  }
  if (!found) return undefined
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
    source:
      `genai-prices ${GENAI_PRICES_VERSION}: ${found.provider.id}/${found.model.id}` +
      `${entryNote(found.model, p)}${tierNote}`,
  }
}
