import type { TargetError } from '../providers/types.ts'

// The results every layer shares: the engine produces them, pricing fills in their cost, storage keeps them,
// views show them. Nothing here imports upward, so no layer's types depend on another's in a circle.

export type UsageSource = 'reported' | 'estimated' | 'none'

export interface Usage {
  input_tokens: number | null
  cached_input_tokens: number | null
  output_tokens: number | null
  reasoning_tokens: number | null
  source: UsageSource
}

export interface Timing {
  /** First non-empty reasoning or answer delta, from request start (monotonic clock). */
  ttft_ms: number | null
  first_answer_ms: number | null
  total_ms: number
  /** Output tokens per second after the first token. */
  output_tokens_per_s: number | null
}

export type TargetStatus = 'ok' | 'error' | 'cancelled' | 'timeout'

export interface TargetResult {
  target: string
  label: string
  /** The model id the upstream reported using (it often differs from the requested one). */
  model: string | null
  status: TargetStatus
  text: string
  reasoning: string
  finish_reason: string | null
  usage: Usage
  cost: Cost
  timing: Timing
  error: TargetError | null
  /** Upstream attempts made (retries happen only before the first token). */
  attempts: number
}

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
 * In history: `running` and `interrupted` for a target that never finished, `not-recorded` for a finished
 * one whose cost was never written.
 */
export const COST_REASONS = [
  'no-price',
  'no-price-at-date',
  'no-usage',
  'demo-without-price',
  'estimated-usage',
  'out-of-range',
  'pricing-failed',
  'running',
  'interrupted',
  'not-recorded',
] as const
export type CostReason = (typeof COST_REASONS)[number]

export interface Cost {
  input_usd: number | null
  output_usd: number | null
  total_usd: number | null
  source: CostSource
  /** Why the cost is unknown, or (`estimated-usage`) why a computed one is approximate. */
  reason: CostReason | null
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

export function unknownCost(reason: CostReason): Cost {
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
