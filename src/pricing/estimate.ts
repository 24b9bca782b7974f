import type { ChatMessage, TargetEntry } from '../providers/types.ts'
import type { Usage } from '../domain/types.ts'
import { countPromptTokens } from '../tokens/token-count.ts'
import type { Pricer } from './types.ts'
import type { UnitPrice } from '../domain/types.ts'
import { picoToUsd, usdToPico, type Pico } from './money.ts'

/**
 * Output bound used when the request sets no `max_tokens`. Providers cap output at their own (much larger)
 * limits, so this is a stated assumption, not a guarantee; the response always says which bound was used.
 */
export const ASSUMED_MAX_OUTPUT_TOKENS = 4096
export const ESTIMATE_TOKENIZER = 'o200k_base (gpt-tokenizer)'

export interface TargetEstimate {
  target: string
  label: string
  /** Prompt tokens by Juxta's tokenizer, chat overhead included; a provider's own tokenizer counts differently. */
  input_tokens: number
  /** The output bound behind `high_usd`. */
  max_output_tokens: number
  /** The prompt at the uncached price with no output (a cache hit can still make a request cheaper). */
  low_usd: number | null
  /** The prompt plus `max_output_tokens` of output, reasoning included. */
  high_usd: number | null
  source: 'computed' | 'unknown'
  reason: string | null
  price_source: string | null
  unit_price: UnitPrice | null
}

export interface RunEstimate {
  /** The instant prices were looked up for (time-of-day prices change within a day). */
  at: string
  tokenizer: string
  max_tokens: { value: number; source: 'request' | 'assumed' }
  targets: TargetEstimate[]
  /** Sums over the targets with a price; `unpriced` lists the others. */
  total_low_usd: number | null
  total_high_usd: number | null
  unpriced: string[]
  /**
   * Present when the prompt carries images: they are not in the range (each provider turns an image into input
   * tokens its own way), so the real cost is higher than both bounds by an amount not estimated here.
   */
  images_note?: string
}

export interface EstimateTarget {
  entry: TargetEntry
  messages: ChatMessage[]
}

const estimatedUsage = (input: number, output: number): Usage => ({
  input_tokens: input,
  cached_input_tokens: 0,
  output_tokens: output,
  reasoning_tokens: 0,
  source: 'estimated',
})

export interface EstimateOptions {
  /** The run's max_tokens; absent, ASSUMED_MAX_OUTPUT_TOKENS bounds the output. */
  maxTokens: number | undefined
  /** When the run would be sent: prices may depend on the time (off-peak hours). */
  at: Date
  /** Images attached to the prompt: not priced, only said (see RunEstimate.images_note). */
  imageCount?: number
}

/** Prices a run before it is sent: no upstream call, only the tokenizer and the price book. */
export async function estimateRun(
  pricer: Pricer,
  targets: ReadonlyArray<EstimateTarget>,
  { maxTokens, at, imageCount = 0 }: EstimateOptions,
): Promise<RunEstimate> {
  const bound = maxTokens ?? ASSUMED_MAX_OUTPUT_TOKENS
  let low: Pico = 0n
  let high: Pico = 0n
  const unpriced: string[] = []
  const estimates: TargetEstimate[] = []
  for (const { entry, messages } of targets) {
    const inputTokens = await countPromptTokens(messages)
    const query = (usage: Usage) => ({
      providerId: entry.provider.id,
      pricingProvider: entry.provider.pricing,
      builtin: entry.provider.builtin,
      model: entry.model,
      reportedModel: null,
      reportedCostUsd: null,
      usage,
      at,
    })
    const lowCost = pricer.price(query(estimatedUsage(inputTokens, 0)))
    const highCost = pricer.price(query(estimatedUsage(inputTokens, bound)))
    const known = lowCost.total_usd !== null && highCost.total_usd !== null && lowCost.source !== 'unknown'
    if (known) {
      low += usdToPico(lowCost.total_usd!)
      high += usdToPico(highCost.total_usd!)
    } else unpriced.push(entry.target)
    estimates.push({
      target: entry.target,
      label: entry.model.label,
      input_tokens: inputTokens,
      max_output_tokens: bound,
      low_usd: known ? lowCost.total_usd : null,
      high_usd: known ? highCost.total_usd : null,
      source: known ? 'computed' : 'unknown',
      reason: known ? null : (lowCost.reason ?? 'no-price'),
      price_source: known ? highCost.price_source : null,
      unit_price: known ? highCost.unit_price : null,
    })
  }
  const anyKnown = unpriced.length < estimates.length
  return {
    at: at.toISOString(),
    tokenizer: ESTIMATE_TOKENIZER,
    max_tokens: { value: bound, source: maxTokens === undefined ? 'assumed' : 'request' },
    targets: estimates,
    total_low_usd: anyKnown ? picoToUsd(low) : null,
    total_high_usd: anyKnown ? picoToUsd(high) : null,
    unpriced,
    ...(imageCount > 0 ? { images_note: imagesNote(imageCount) } : {}),
  }
}

export function imagesNote(count: number): string {
  return (
    `${count} image${count === 1 ? '' : 's'} not priced: image input tokens are counted by each provider ` +
    'its own way, so the range covers the text only and the real cost is higher'
  )
}
