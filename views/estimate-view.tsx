import type { RunEstimate } from '../src/pricing/estimate.ts'
import { formatUsd } from '../src/pricing/money.ts'
import { formatInt } from './format.ts'

/** The cost range shown under the form before sending. */
export function EstimateView(props: { estimate: RunEstimate | null; hint?: string }) {
  const e = props.estimate
  if (!e) return <span class="muted">{props.hint ?? ''}</span>
  const tokens = e.targets[0]?.input_tokens
  const range = e.total_low_usd === null ? 'unknown' : `${formatUsd(e.total_low_usd)} – ${formatUsd(e.total_high_usd)}`
  return (
    <span
      title={e.targets
        .map(
          (t) =>
            `${t.target}: ` +
            (t.low_usd === null ? `unknown (${t.reason})` : `${formatUsd(t.low_usd)} – ${formatUsd(t.high_usd)}`),
        )
        .join('\n')}
    >
      Estimated cost of this run: <strong>{range}</strong>{' '}
      <span class="muted">
        (~{formatInt(tokens ?? 0)} prompt tokens, up to {formatInt(e.max_tokens.value)} output tokens each
        {e.max_tokens.source === 'assumed' ? ', assumed' : ''}
        {e.unpriced.length ? `; no price for ${e.unpriced.join(', ')}` : ''})
      </span>
      {e.images_note ? <span class="muted estimate-images">{e.images_note}.</span> : ''}
    </span>
  )
}
