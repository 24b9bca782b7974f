import type { PriceQuery } from './types.ts'
import { type Cost, type UnitPrice, unknownCost } from '../domain/types.ts'
import { MAX_REQUEST_USD } from '../domain/bounds.ts'
import { MAX_REQUEST_PICO, costOf, picoToUsd, requestPico, usdToPico } from './money.ts'

/** Turns a unit price and usage into a Cost with provenance, or an unknown cost with its reason. */
export function computedCost(query: Pick<PriceQuery, 'usage'>, price: UnitPrice, priceSource: string): Cost {
  if (query.usage.source === 'none') return unknownCost('no-usage')
  const parts = costOf(query.usage, price)
  if (!parts) return unknownCost('no-usage')
  if (parts.total > MAX_REQUEST_PICO || parts.total < 0n) {
    // Absurd token counts (validated as integers, not as plausible) must not enter sums as a bill.
    return {
      ...unknownCost('out-of-range'),
      notes: [
        `computed cost rejected: ${picoToUsd(parts.total)} USD is out of range ` +
          `(over $${MAX_REQUEST_USD.toLocaleString('en-US')} per request)`,
      ],
    }
  }
  const estimated = query.usage.source === 'estimated'
  return {
    input_usd: picoToUsd(parts.input),
    output_usd: picoToUsd(parts.output),
    total_usd: picoToUsd(parts.total),
    source: 'computed',
    reason: estimated ? 'estimated-usage' : null,
    // Provenance covers the token counts too: a price applied to tokenizer counts is an estimate.
    price_source: estimated ? `${priceSource}; usage estimated by Juxta's tokenizer` : priceSource,
    unit_price: price,
    usage_source: query.usage.source,
  }
}

/** Reported and computed totals disagree when they differ by more than 1 % of the reported one. */
export function disagrees(reportedUsd: number, computedUsd: number): boolean {
  const r = usdToPico(reportedUsd)
  const c = usdToPico(computedUsd)
  const diff = r > c ? r - c : c - r
  return diff * 100n > r
}

/**
 * A provider-reported cost (OpenRouter `usage.cost`) is what was billed, so it becomes the total; Juxta's own
 * computation stays beside it. The input/output split is only ours, so it is shown only when both agree.
 */
export function withReportedCost(computed: Cost, reportedUsd: number, providerId: string): Cost {
  // Validated where the wire is read (providers/usage.ts); checked again because a Pricer may be called
  // from elsewhere, and an amount outside the range must never become the total.
  if (requestPico(reportedUsd) === null) {
    return { ...computed, notes: [...(computed.notes ?? []), `reported cost rejected: ${reportedUsd} is out of range`] }
  }
  const known = computed.source === 'computed' && computed.total_usd !== null
  const disagreement = known ? disagrees(reportedUsd, computed.total_usd!) : undefined
  const split = known && !disagreement
  const checked = known
    ? `computed ${disagreement ? 'differs by more than 1 %' : 'agrees'} with ${computed.price_source}`
    : `not computed: ${computed.reason ?? 'no-price'}`
  const cost: Cost = {
    input_usd: split ? computed.input_usd : null,
    output_usd: split ? computed.output_usd : null,
    total_usd: reportedUsd,
    source: 'reported',
    reason: null,
    price_source: `reported by ${providerId} (usage.cost); ${checked}`,
    unit_price: computed.unit_price,
    reported_usd: reportedUsd,
    computed_usd: known ? computed.total_usd : null,
  }
  if (disagreement !== undefined) cost.disagreement = disagreement
  if (computed.usage_source) cost.usage_source = computed.usage_source
  return cost
}
