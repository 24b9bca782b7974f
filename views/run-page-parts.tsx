import type { Child } from 'hono/jsx'
import type { TargetResult } from '../src/domain/types.ts'
import type { ChatMessage } from '../src/providers/types.ts'
import {
  Column,
  ColumnActions,
  CopyButton,
  ErrorBox,
  FinalStats,
  HiddenStats,
  LiveStats,
  StatusBadge,
  ids,
  type ColumnInfo,
} from './run-view.tsx'
import { formatMs } from './format.ts'
import { SummaryTable, type RunSummaryData } from './summary-table.tsx'
import { formatUsd } from '../src/pricing/money.ts'
import { DiffForm } from './answer-diff-view.tsx'
import { VoteForm, type VoteFormProps } from './vote-form.tsx'

export type RunViewProps = Parameters<typeof RunView>[0]

/** The skeleton of a live run: the first message of its stream. */
export function RunView(props: {
  runId: string
  columns: ColumnInfo[]
  earlier: ChatMessage[][]
  results?: Array<TargetResult | undefined>
  live: boolean
  prompt: string
  turn: number
  summary?: RunSummaryData
  /** Stored statuses where they say more than the result (`interrupted`). */
  statuses?: Array<'running' | 'interrupted' | TargetResult['status']>
  /** A blind run before its vote: no copy, summary or diff (they name the models); see ColumnInfo.blind. */
  blind?: boolean
  /** The vote buttons of a finished run (a live run gets them when it ends). */
  vote?: VoteFormProps
  /** Under the vote: the LLM judge's form and verdicts (src/arena). */
  judge?: Child
}) {
  const running = props.live && !props.results
  const blind = props.blind === true
  return (
    <div class="run" id={`run-${props.runId}`} data-run-id={props.runId}>
      <div class="run-bar">
        <h2 class="run-prompt">
          {props.turn > 1 ? <span class="badge">turn {props.turn}</span> : ''}{' '}
          <span class="prompt-text">{props.prompt}</span>
        </h2>
        <span id="run-state" class="run-state">
          {running ? 'Running…' : ''}
        </span>
        <span id="run-copy">{running || blind ? '' : <RunCopyButton runId={props.runId} />}</span>
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
          <Column
            runId={props.runId}
            index={i}
            info={info}
            earlier={props.earlier[i] ?? []}
            result={props.results?.[i]}
            status={props.statuses?.[i]}
            live={props.live}
          />
        ))}
      </div>
      <div id="vote" class="vote-area">
        {props.vote ? <VoteForm {...props.vote} /> : ''}
      </div>
      <div id="summary" class="summary-area">
        {props.summary && !blind ? <SummaryTable summary={props.summary} /> : ''}
      </div>
      {/* Filled once a live run is done (src/web/live-run.tsx); a stored run has its answers already. */}
      <div id="diff" class="diff-slot">
        {props.results && !blind ? <DiffForm runId={props.runId} columns={props.columns} /> : ''}
      </div>
      <div id="judge" class="judge-area">
        {props.judge ?? ''}
      </div>
    </div>
  )
}

/** "Copy as Markdown" for the whole run: the prompt, a table of the figures and every answer. */
export function RunCopyButton(props: { runId: string }) {
  return <CopyButton src={`/runs/${props.runId}/markdown`} label="Copy as Markdown" />
}

/** Partials that empty a column for "retry this column" (the column and its retry button stay in place). */
export function ColumnResetParts(props: { index: number }) {
  const i = props.index
  return (
    <>
      <hx-partial hx-target={`#${ids.status(i)}`} hx-swap="innerHTML">
        <StatusBadge status="running" />
      </hx-partial>
      <hx-partial hx-target={`#${ids.rendered(i)}`} hx-swap="innerHTML"></hx-partial>
      <hx-partial hx-target={`#${ids.tail(i)}`} hx-swap="innerHTML"></hx-partial>
      <hx-partial hx-target={`#${ids.reasoning(i)}`} hx-swap="innerHTML"></hx-partial>
      <hx-partial hx-target={`#${ids.error(i)}`} hx-swap="innerHTML"></hx-partial>
      <hx-partial hx-target={`#${ids.stats(i)}`} hx-swap="innerHTML">
        <LiveStats elapsedMs={0} ttftMs={null} approxTokens={0} rate={null} />
      </hx-partial>
    </>
  )
}

/** Partials that close a column: status, stats, error, and the retry button the first time. */
export function ColumnResultParts(props: {
  runId: string
  index: number
  result: TargetResult
  withActions: boolean
  label: string
  blind?: boolean
}) {
  const { index: i, result } = props
  return (
    <>
      <hx-partial hx-target={`#${ids.status(i)}`} hx-swap="innerHTML">
        <StatusBadge status={result.status} />
      </hx-partial>
      <hx-partial hx-target={`#${ids.stats(i)}`} hx-swap="innerHTML">
        {props.blind ? <HiddenStats /> : <FinalStats result={result} />}
      </hx-partial>
      <hx-partial hx-target={`#${ids.error(i)}`} hx-swap="innerHTML">
        <ErrorBox error={result.error} status={result.status} blind={props.blind} />
      </hx-partial>
      {/* Targeted by id with the default innerHTML swap: an hx-target on the wrapper would read, to htmx's
          upgrade-check, like a value the button inside inherits. */}
      {props.withActions ? (
        <hx-partial id={ids.actions(i)}>
          <ColumnActions runId={props.runId} index={i} live={true} label={props.label} blind={props.blind} />
        </hx-partial>
      ) : (
        ''
      )}
    </>
  )
}

export function announceText(label: string, r: TargetResult, blind = false): string {
  if (r.status === 'ok' && blind) return `${label} finished.`
  if (r.status === 'ok') {
    const cost = r.cost.total_usd !== null ? `, ${formatUsd(r.cost.total_usd)}` : ''
    return `${label} finished in ${formatMs(r.timing.total_ms)}${cost}.`
  }
  return `${label} ${r.status === 'cancelled' ? 'stopped' : r.status === 'timeout' ? 'timed out' : 'failed'}.`
}

/**
 * The follow-up form lives outside #run: htmx stops reading a stream whose source element was swapped
 * away, so only the form's contents are replaced, never the form.
 */
export function FollowUpFormShell() {
  return (
    <form
      id="followup"
      class="followup"
      hx-post="/runs"
      hx-target="#run"
      hx-swap="innerHTML"
      {...{ 'hx-status:4xx': 'target:#followup-errors swap:innerHTML' }}
    ></form>
  )
}

/** `targets` empty: the server continues the parent's targets (a blind run's form must not name them). */
export function FollowUpFields(props: { runId: string; targets: string[] }) {
  return (
    <>
      <input type="hidden" name="parent" value={props.runId} />
      {props.targets.map((t) => (
        <input type="hidden" name="targets" value={t} />
      ))}
      <label for="followup-prompt">Follow-up</label>
      <textarea
        id="followup-prompt"
        name="prompt"
        rows={2}
        required
        placeholder="Each column continues its own conversation…"
      ></textarea>
      <button type="submit" class="primary">
        Send follow-up
      </button>
      <div id="followup-errors"></div>
    </>
  )
}
