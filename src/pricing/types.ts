import type { ModelEntry } from '../providers/types.ts'
import type { Usage, UsageSource } from '../engine/types.ts'

/** Where a cost figure came from. `unknown` always has a reason and null amounts, never 0. */
export type CostSource = 'computed' | 'reported' | 'unknown'

export interface UnitPrice {
  /** USD per 1M tokens */
  input: number
  cached_input: number
  output: number
  /** Reasoning output where a model prices it apart (rare); absent means reasoning bills as output. */
  reasoning_output?: number
}

/**
 * Why a cost is unknown (or, for `estimated-usage`, why a computed one is approximate):
 * `no-price` no book knows the model; `no-price-at-date` the book knows it but had no price at the request
 * time (not yet launched, retired); `no-usage` the upstream reported no token counts and there was no text to
 * count; `demo-without-price` a simulated model without `price:` in the config; `estimated-usage` counted
 * with Juxta's tokenizer because the upstream sent no (valid) usage; `out-of-range` the amount came out above
 * MAX_REQUEST_USD (absurd token counts); `pricing-failed` pricing threw (a bug or bad data), see `notes`.
 */
export type CostReason =
  | 'no-price'
  | 'no-price-at-date'
  | 'no-usage'
  | 'demo-without-price'
  | 'estimated-usage'
  | 'out-of-range'
  | 'pricing-failed'

export interface Cost {
  input_usd: number | null
  output_usd: number | null
  total_usd: number | null
  source: CostSource
  /** Why the cost is unknown (`no-price`, `no-usage`, `demo-without-price`, ...). */
  reason: string | null
  /** Which book and dated entry priced it, e.g. `config: demo/fast`. */
  price_source: string | null
  /** The unit prices applied, when computed. */
  unit_price: UnitPrice | null
  /** Provider-reported cost (OpenRouter) and our own computation, kept side by side. */
  reported_usd?: number | null
  computed_usd?: number | null
  /** Reported and computed differ by more than 1 %. */
  disagreement?: boolean
  /** Whether the token counts behind the figure were reported by the upstream or estimated by Juxta. */
  usage_source?: UsageSource
  /**
   * What was rejected on the way, shown beside the figure: upstream numbers that failed validation
   * (`reported cost rejected: 1e300 is out of range ...`) or why pricing failed.
   */
  notes?: string[]
}

export interface PriceQuery {
  providerId: string
  /** Price-book provider id (config `pricing`, defaults to the provider id). */
  pricingProvider: string
  builtin?: 'demo'
  model: ModelEntry
  reportedModel: string | null
  usage: Usage
  reportedCostUsd: number | null
  /** Request start: prices depend on the date and, for some providers, the hour. */
  at: Date
}

export interface Pricer {
  price(query: PriceQuery): Cost
}

export function unknownCost(reason: string): Cost {
  return {
    input_usd: null,
    output_usd: null,
    total_usd: null,
    source: 'unknown',
    reason,
    price_source: null,
    unit_price: null,
  }
}
