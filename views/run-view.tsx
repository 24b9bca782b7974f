import type { TargetResult, TargetStatus } from '../src/domain/types.ts'
import { type ChatMessage, imagePartsOf, textOf } from '../src/providers/types.ts'
import type { TargetError } from '../src/providers/types.ts'
import { renderMarkdown } from '../src/render/markdown.ts'
import { SafeMarkup } from './safe-html.tsx'
import { formatInt, formatMs, formatRate } from './format.ts'
import { CostFigure } from './cost-view.tsx'

export interface ColumnInfo {
  target: string
  label: string
  providerName: string
  simulated: boolean
  /** Shown under the column's heading, e.g. that the model's image support is not declared. */
  note?: string
  /**
   * A blind run before its vote: `label` is "Answer A" and `target` is empty; the column shows no figures, no
   * error message (it may name the model) and no retry.
   */
  blind?: boolean
}

/** DOM ids of a column's parts. Short, because they are repeated in every streamed partial. */
export const ids = {
  column: (i: number) => `c${i}`,
  rendered: (i: number) => `m${i}`,
  tail: (i: number) => `t${i}`,
  reasoning: (i: number) => `r${i}`,
  status: (i: number) => `s${i}`,
  stats: (i: number) => `x${i}`,
  error: (i: number) => `e${i}`,
  actions: (i: number) => `a${i}`,
}

export const STATUS_TEXT: Record<TargetStatus | 'running' | 'waiting' | 'interrupted', string> = {
  running: 'streaming',
  waiting: 'waiting',
  ok: 'done',
  error: 'failed',
  cancelled: 'stopped',
  timeout: 'timed out',
  interrupted: 'interrupted',
}

export function StatusBadge(props: { status: keyof typeof STATUS_TEXT }) {
  return <span class={`badge status-${props.status}`}>{STATUS_TEXT[props.status]}</span>
}

/** Earlier turns of this column's own conversation (follow-ups), compact. */
function EarlierTurns(props: { messages: ChatMessage[] }) {
  const turns = props.messages.filter((m) => m.role !== 'system')
  if (turns.length === 0) return null
  return (
    <details class="earlier">
      <summary>Earlier turns ({Math.ceil(turns.length / 2)})</summary>
      {turns.map((m) => (
        <div class={`turn turn-${m.role}`}>
          <span class="turn-role">{m.role === 'user' ? 'You' : 'Answer'}</span>
          {m.role === 'assistant' ? (
            <div class="markdown">
              <SafeMarkup html={renderMarkdown(m.content)} />
            </div>
          ) : (
            <p>
              {textOf(m.content)}
              {imagePartsOf(m.content).length ? (
                <span class="muted"> (+{imagePartsOf(m.content).length} images)</span>
              ) : (
                ''
              )}
            </p>
          )}
        </div>
      ))}
    </details>
  )
}

export function ErrorBox(props: { error: TargetError | null; status: TargetStatus; blind?: boolean }) {
  if (!props.error) return null
  return (
    <div class="error-box" role="status">
      <strong>{props.error.kind.replace('_', ' ')}</strong>
      {props.blind ? (
        // An upstream's message or status may name the provider or the model: shown after the vote.
        <p>Details hidden until your vote.</p>
      ) : (
        <>
          {props.error.status ? <span class="muted"> · HTTP {props.error.status}</span> : ''}
          <p>{props.error.message}</p>
        </>
      )}
    </div>
  )
}

/** Where a blind column's figures will be. */
export function HiddenStats() {
  return <p class="stats hidden-stats muted">Figures hidden until your vote.</p>
}

export function LiveStats(props: {
  elapsedMs: number
  ttftMs: number | null
  approxTokens: number
  rate: number | null
}) {
  return (
    <dl class="stats live">
      <div>
        <dt>TTFT</dt>
        <dd>{formatMs(props.ttftMs)}</dd>
      </div>
      <div>
        <dt>Speed</dt>
        <dd>{props.rate === null ? '—' : `~${formatRate(props.rate)}`}</dd>
      </div>
      <div>
        <dt>Elapsed</dt>
        <dd>{formatMs(props.elapsedMs)}</dd>
      </div>
      <div>
        <dt>Output</dt>
        <dd>~{formatInt(props.approxTokens)} tok</dd>
      </div>
    </dl>
  )
}

export function FinalStats(props: { result: TargetResult }) {
  const r = props.result
  const u = r.usage
  const estimated = u.source === 'estimated' ? ' (estimated)' : ''
  return (
    <dl class="stats final">
      <div>
        <dt>TTFT</dt>
        <dd>{formatMs(r.timing.ttft_ms)}</dd>
      </div>
      <div>
        <dt>Speed</dt>
        <dd>{formatRate(r.timing.output_tokens_per_s)}</dd>
      </div>
      <div>
        <dt>Total</dt>
        <dd>{formatMs(r.timing.total_ms)}</dd>
      </div>
      <div>
        <dt>Input{estimated}</dt>
        <dd>
          {formatInt(u.input_tokens)}
          {u.cached_input_tokens ? <span class="muted"> ({formatInt(u.cached_input_tokens)} cached)</span> : ''}
        </dd>
      </div>
      <div>
        <dt>Output{estimated}</dt>
        <dd>
          {formatInt(u.output_tokens)}
          {u.reasoning_tokens ? <span class="muted"> ({formatInt(u.reasoning_tokens)} reasoning)</span> : ''}
        </dd>
      </div>
      <div class="cost">
        <dt>Cost</dt>
        <dd>
          <CostFigure cost={r.cost} />
        </dd>
      </div>
    </dl>
  )
}

/**
 * A copy button: app.js copies the text behind `data-copy-src` (fetched on click: an answer can be megabytes,
 * and the page must not carry it twice) and says "Copied" in the page's live region.
 */
export function CopyButton(props: { src: string; label: string; name?: string }) {
  return (
    <button type="button" class="copy-button" data-copy="fetch" data-copy-src={props.src} aria-label={props.name}>
      {props.label}
    </button>
  )
}

/** A finished column's actions: copy its answer; on a live page also retry it. */
export function ColumnActions(props: { runId: string; index: number; live: boolean; label: string; blind?: boolean }) {
  return (
    <>
      <CopyButton
        src={`/runs/${props.runId}/answers/${props.index}`}
        label="Copy answer"
        name={`Copy answer of ${props.label}`}
      />
      {/* Not in a blind run: a retry streams new figures and could tell the answers apart. */}
      {props.live && !props.blind ? (
        <button
          type="button"
          class="link-button"
          hx-post={`/runs/${props.runId}/retry/${props.index}`}
          hx-target={`#${ids.column(props.index)}`}
        >
          Retry this column
        </button>
      ) : (
        ''
      )}
    </>
  )
}

/**
 * One column. Live columns start empty and are filled by streamed partials; finished ones (history, or
 * after the stream) render everything at once through the same components.
 */
export function Column(props: {
  runId: string
  index: number
  info: ColumnInfo
  earlier: ChatMessage[]
  result?: TargetResult
  status?: 'running' | 'waiting' | 'interrupted' | TargetStatus
  live: boolean
}) {
  const { index: i, info, result } = props
  const status = props.status ?? result?.status ?? 'running'
  return (
    <article
      class="col"
      id={ids.column(i)}
      data-target={info.blind ? undefined : info.target}
      data-status={status}
      aria-labelledby={`h${i}`}
    >
      <header class="col-head">
        <h3 id={`h${i}`}>{info.label}</h3>
        {info.blind ? '' : <span class="target-id">{info.target}</span>}
        {info.simulated && !info.blind ? (
          <span class="badge sim" title="Simulated by Juxta's demo provider">
            simulated
          </span>
        ) : (
          ''
        )}
        <span id={ids.status(i)}>
          <StatusBadge status={status} />
        </span>
      </header>
      {info.note && !info.blind ? <p class="col-note muted">{info.note}</p> : ''}
      <EarlierTurns messages={props.earlier} />
      <details class="reasoning">
        <summary>Reasoning</summary>
        {/* Focusable: a long reasoning scrolls inside its box, and the keyboard must reach it. */}
        <div class="reasoning-text" id={ids.reasoning(i)} tabindex={0}>
          {result?.reasoning ?? ''}
        </div>
      </details>
      <div class="answer markdown">
        <div id={ids.rendered(i)}>{result ? <SafeMarkup html={renderMarkdown(result.text)} /> : ''}</div>
        <div class="tail" id={ids.tail(i)}></div>
      </div>
      <div id={ids.error(i)}>
        {result ? <ErrorBox error={result.error} status={result.status} blind={info.blind} /> : ''}
      </div>
      <div id={ids.stats(i)}>
        {info.blind ? (
          <HiddenStats />
        ) : result ? (
          <FinalStats result={result} />
        ) : (
          <LiveStats elapsedMs={0} ttftMs={null} approxTokens={0} rate={null} />
        )}
      </div>
      <div class="col-actions" id={ids.actions(i)}>
        {result ? (
          <ColumnActions runId={props.runId} index={i} live={props.live} label={info.label} blind={info.blind} />
        ) : (
          ''
        )}
      </div>
    </article>
  )
}
