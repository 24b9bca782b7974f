import type { Cost } from '../src/domain/types.ts'
import type { TargetStatus } from '../src/domain/types.ts'
import { CostFigure } from './cost-view.tsx'
import { formatInt, formatMs, formatRate } from './format.ts'
import { formatMultiple, formatUsd } from '../src/pricing/money.ts'

export interface SummaryRow {
  target: string
  label: string
  status: TargetStatus | 'interrupted' | 'running'
  ttft_ms: number | null
  total_ms: number
  tokens_per_s: number | null
  input_tokens: number | null
  cached_input_tokens: number | null
  output_tokens: number | null
  reasoning_tokens: number | null
  cost: Cost
  /** Cost ÷ the cheapest known cost of the run; null when unknown. */
  cost_multiple: number | null
  latency_multiple: number | null
  per_1000_usd: number | null
  cheapest: boolean
  fastest: boolean
  /** The whole conversation so far (follow-ups), when there is more than one turn. */
  conversation_usd?: number | null
}

export interface RunSummaryData {
  rows: SummaryRow[]
  turns: number
  cheapest: string | null
  fastest: string | null
  /** Why some rows are left out of the cost ranking. */
  notes: string[]
}

const num = (n: number | null | undefined) => (n === null || n === undefined ? '' : String(n))

/** The summary under the columns: one row per target, sortable, cheapest and fastest highlighted. */
export function SummaryTable(props: { summary: RunSummaryData }) {
  const s = props.summary
  const conversation = s.turns > 1
  const headers: Array<[string, string]> = [
    ['target', 'Target'],
    ['status', 'Status'],
    ['ttft', 'TTFT'],
    ['total', 'Total time'],
    ['speed', 'Speed'],
    ['input', 'Input tok'],
    ['cached', 'Cached'],
    ['output', 'Output tok'],
    ['reasoning', 'Reasoning'],
    ['cost', 'Cost'],
    ['multiple', '× cheapest'],
    ['latency', '× fastest'],
    ['per1000', 'Per 1,000 requests'],
  ]
  if (conversation) headers.push(['conversation', `Conversation (${s.turns} turns)`])
  return (
    <section class="summary" aria-labelledby="summary-title">
      <h2 id="summary-title">Summary</h2>
      {/* Fits at 1280 px; narrower, it scrolls inside the card, as a labelled region the keyboard can reach. */}
      {/* biome-ignore lint/a11y/useSemanticElements: a scroll box, not a document section; the explicit
          role is what tests/browser/summary-layout.test.ts pins */}
      <div class="table-scroll" role="region" aria-label="Summary table" tabindex={0}>
        <table class="summary-table sortable" data-sortable>
          <thead>
            <tr>
              {headers.map(([key, label]) => (
                <th scope="col" aria-sort="none">
                  <button type="button" class="sort" data-sort-key={key}>
                    {label}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {s.rows.map((r) => (
              <tr
                class={`${r.cheapest ? 'cheapest ' : ''}${r.fastest ? 'fastest' : ''}`.trim() || undefined}
                data-target={r.target}
              >
                <th scope="row" data-value={r.label}>
                  {r.label}
                  {r.cheapest ? <span class="badge good">cheapest</span> : ''}
                  {r.fastest ? <span class="badge fast">fastest</span> : ''}
                </th>
                <td data-value={r.status}>{r.status}</td>
                <td data-value={num(r.ttft_ms)}>{formatMs(r.ttft_ms)}</td>
                <td data-value={num(r.total_ms)}>{formatMs(r.total_ms)}</td>
                <td data-value={num(r.tokens_per_s)}>{formatRate(r.tokens_per_s)}</td>
                <td data-value={num(r.input_tokens)}>{formatInt(r.input_tokens)}</td>
                <td data-value={num(r.cached_input_tokens)}>{formatInt(r.cached_input_tokens)}</td>
                <td data-value={num(r.output_tokens)}>{formatInt(r.output_tokens)}</td>
                <td data-value={num(r.reasoning_tokens)}>{formatInt(r.reasoning_tokens)}</td>
                <td data-value={num(r.cost.total_usd)} class="cost-cell">
                  <CostFigure cost={r.cost} />
                </td>
                <td data-value={num(r.cost_multiple)}>{formatMultiple(r.cost_multiple)}</td>
                <td data-value={num(r.latency_multiple)}>{formatMultiple(r.latency_multiple)}</td>
                <td data-value={num(r.per_1000_usd)}>{r.per_1000_usd === null ? '—' : formatUsd(r.per_1000_usd)}</td>
                {conversation ? (
                  <td data-value={num(r.conversation_usd)}>
                    {r.conversation_usd === null || r.conversation_usd === undefined
                      ? '—'
                      : formatUsd(r.conversation_usd)}
                  </td>
                ) : (
                  ''
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {s.notes.length ? (
        <ul class="notes muted">
          {s.notes.map((n) => (
            <li>{n}</li>
          ))}
        </ul>
      ) : (
        ''
      )}
    </section>
  )
}

export function RunSummaryParts(props: { summary: RunSummaryData }) {
  return (
    <hx-partial hx-target="#summary" hx-swap="innerHTML">
      <SummaryTable summary={props.summary} />
    </hx-partial>
  )
}
