import type { TargetResult } from '../src/engine/types.ts'
import type { ChatMessage } from '../src/providers/types.ts'
import { Column, ColumnActions, ErrorBox, FinalStats, StatusBadge, ids, type ColumnInfo } from './run-view.tsx'
import { formatMs } from './format.ts'
import { formatUsd } from '../src/pricing/format.ts'

/** The skeleton of a live run: the first message of its stream. */
export function RunView(props: {
  runId: string
  columns: ColumnInfo[]
  earlier: ChatMessage[][]
  results?: Array<TargetResult | undefined>
  live: boolean
  prompt: string
  turn: number
}) {
  const running = props.live && !props.results
  return (
    <div class="run" id={`run-${props.runId}`} data-run-id={props.runId}>
      <div class="run-bar">
        <p class="run-prompt">
          {props.turn > 1 ? <span class="badge">turn {props.turn}</span> : ''} <span class="prompt-text">{props.prompt}</span>
        </p>
        <span id="run-state" class="run-state">{running ? 'Running…' : ''}</span>
        {running ? (
          <button type="button" id="stop" class="danger" hx-post={`/runs/${props.runId}/stop`} hx-swap="none">
            Stop
          </button>
        ) : (
          ''
        )}
      </div>
      <div class={`columns n${Math.min(props.columns.length, 9)}`}>
        {props.columns.map((info, i) => (
          <Column runId={props.runId} index={i} info={info} earlier={props.earlier[i] ?? []} result={props.results?.[i]} live={props.live} />
        ))}
      </div>
      <div id="summary" class="summary-area"></div>
      <div id="followup" class="followup-area"></div>
    </div>
  )
}

/** Partials that close a column: status, stats, error, actions. */
export function ColumnResultParts(props: { runId: string; index: number; result: TargetResult }) {
  const { index: i, result } = props
  return (
    <>
      <hx-partial hx-target={`#${ids.status(i)}`} hx-swap="innerHTML"><StatusBadge status={result.status} /></hx-partial>
      <hx-partial hx-target={`#${ids.stats(i)}`} hx-swap="innerHTML"><FinalStats result={result} /></hx-partial>
      <hx-partial hx-target={`#${ids.error(i)}`} hx-swap="innerHTML"><ErrorBox error={result.error} status={result.status} /></hx-partial>
      <hx-partial hx-target={`#${ids.actions(i)}`} hx-swap="innerHTML"><ColumnActions runId={props.runId} index={i} live={true} /></hx-partial>
    </>
  )
}

export function announceText(label: string, r: TargetResult): string {
  if (r.status === 'ok') {
    return `${label} finished in ${formatMs(r.timing.total_ms)}${r.cost.total_usd !== null ? `, ${formatUsd(r.cost.total_usd)}` : ''}.`
  }
  return `${label} ${r.status === 'cancelled' ? 'stopped' : r.status === 'timeout' ? 'timed out' : 'failed'}.`
}

export function FollowUpForm(props: { runId: string; targets: string[] }) {
  return (
    <form class="followup" hx-post="/runs" hx-target="#run" hx-swap="innerHTML" hx-disable="find button" {...{ 'hx-status:4xx': 'target:#followup-errors swap:innerHTML' }}>
      <input type="hidden" name="parent" value={props.runId} />
      {props.targets.map((t) => (
        <input type="hidden" name="targets" value={t} />
      ))}
      <label for="followup-prompt">Follow-up</label>
      <textarea id="followup-prompt" name="prompt" rows={2} required placeholder="Each column continues its own conversation…"></textarea>
      <button type="submit" class="primary">Send follow-up</button>
      <div id="followup-errors"></div>
    </form>
  )
}
