import type { TargetResult } from '../domain/types.ts'
import type { RunFigures } from '../pricing/summary.ts'
import { formatMultiple, formatUsd } from '../pricing/money.ts'
import { costReasonText } from '../../views/cost-view.tsx'
import { formatInt, formatMs, formatRate } from '../../views/format.ts'
import { type Styles, renderTable, stripControls } from './terminal-text.ts'

/** A result's status in a few words: `ok`, `error (auth, HTTP 401)`, `timeout`. */
export function statusText(r: Pick<TargetResult, 'status' | 'error'>): string {
  if (r.status === 'ok' || !r.error) return r.status
  return `${r.status} (${r.error.kind}${r.error.status ? `, HTTP ${r.error.status}` : ''})`
}

/** Why a target failed, from the upstream's own message (untrusted: controls stripped). */
export function errorLine(r: Pick<TargetResult, 'status' | 'error'>): string | null {
  if (r.status === 'ok') return null
  const message = r.error ? stripControls(r.error.message).replace(/\s+/g, ' ').trim() : ''
  return `${statusText(r)}${message ? `: ${message}` : ''}`
}

/** A cost in words: the amount, or `unknown (why)`; never $0 for an unknown one. */
export function costText(cost: TargetResult['cost']): string {
  if (cost.total_usd === null || cost.source === 'unknown') return `unknown (${costReasonText(cost.reason)})`
  const estimated = cost.reason === 'estimated-usage' ? ' (estimated tokens)' : ''
  return `${formatUsd(cost.total_usd)}${estimated}`
}

function tokensText(usage: TargetResult['usage']): string {
  const reasoning = usage.reasoning_tokens ? ` (${formatInt(usage.reasoning_tokens)} reasoning)` : ''
  return `${formatInt(usage.input_tokens)} / ${formatInt(usage.output_tokens)}${reasoning}`
}

/** The figures of a run, one row per target: TTFT, tokens/s, total, tokens, cost and its multiple. */
export function figuresTable(results: ReadonlyArray<TargetResult>, summary: RunFigures, style?: Styles): string[] {
  const rows = results.map((r, i) => {
    const figures = summary.targets[i]
    return [
      r.target,
      statusText(r),
      formatMs(r.timing.ttft_ms),
      formatRate(r.timing.output_tokens_per_s),
      formatMs(r.timing.total_ms),
      tokensText(r.usage),
      costText(r.cost),
      figures?.cost_multiple == null ? '' : formatMultiple(figures.cost_multiple),
    ]
  })
  return renderTable(['target', 'status', 'TTFT', 'tokens/s', 'total', 'tokens in / out', 'cost', '× cheapest'], rows, {
    align: ['left', 'left', 'right', 'right', 'right', 'right', 'left', 'right'],
    style,
  })
}

/** A result's answer as it is printed: the text (controls stripped), then why it failed, if it did. */
export function answerText(r: Pick<TargetResult, 'text' | 'status' | 'error'>): string {
  const text = stripControls(r.text).replace(/\s+$/, '')
  const error = errorLine(r)
  if (!error) return text
  return text ? `${text}\n[${error}]` : `[${error}]`
}
