import type { Cost } from '../src/domain/types.ts'
import { formatUsd } from '../src/pricing/money.ts'

const REASONS: Record<string, string> = {
  'no-price': 'no price known for this model',
  'no-usage': 'the provider reported no token usage',
  'demo-without-price': 'demo model without a configured price',
}

/** A cost with where it came from; unknown is said in words, never shown as $0. */
export function CostFigure(props: { cost: Cost }) {
  const c = props.cost
  if (c.source === 'unknown' || c.total_usd === null) {
    return (
      <span class="cost-unknown">
        unknown <span class="muted">({REASONS[c.reason ?? ''] ?? c.reason ?? 'no reason given'})</span>
      </span>
    )
  }
  return (
    <span class="cost-known">
      <span class="cost-total">{formatUsd(c.total_usd)}</span>{' '}
      <span class="muted cost-source">
        {c.source === 'reported' ? 'reported by provider' : 'computed'}
        {c.reason === 'estimated-usage' ? ', estimated tokens' : ''}
        {c.disagreement ? ', differs from computed' : ''}
        {c.price_source ? ` · ${c.price_source}` : ''}
      </span>
    </span>
  )
}
