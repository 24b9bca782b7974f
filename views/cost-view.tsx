import type { Cost, CostReason } from '../src/domain/types.ts'
import { formatUsd } from '../src/pricing/money.ts'

// Every reason has its words: the type makes a new reason without them a compile error.
const REASONS: Record<CostReason, string> = {
  'no-price': 'no price known for this model',
  'no-price-at-date': 'no price known for this model at the time of the request',
  'no-usage': 'no token usage: no answer arrived, or the provider sent no counts',
  'demo-without-price': 'demo model without a configured price',
  'estimated-usage': 'token counts estimated by Juxta',
  'out-of-range': 'the amount is out of range',
  'pricing-failed': 'pricing failed',
  running: 'still running',
  interrupted: 'interrupted before it finished',
  'not-recorded': 'not recorded',
}

/** Why a cost is unknown, in words (the reason code itself when there are none for it). */
export function costReasonText(reason: string | null): string {
  if (reason === null) return 'no reason given'
  return (REASONS as Record<string, string>)[reason] ?? reason
}

/** Upstream numbers rejected on the way (e.g. "reported cost rejected: 1e300 is out of range"), said in words. */
function CostNotes(props: { notes: string[] | undefined }) {
  if (!props.notes?.length) return null
  return <span class="muted cost-notes"> · {props.notes.join('; ')}</span>
}

/** A cost with where it came from; unknown is said in words, never shown as $0. */
export function CostFigure(props: { cost: Cost }) {
  const c = props.cost
  if (c.source === 'unknown' || c.total_usd === null) {
    return (
      <span class="cost-unknown">
        unknown <span class="muted">({costReasonText(c.reason)})</span>
        <CostNotes notes={c.notes} />
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
      <CostNotes notes={c.notes} />
    </span>
  )
}
