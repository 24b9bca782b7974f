import { followUntilOver } from './follow-until-over.ts'
import type { SSEStreamingApi } from 'hono/streaming'
import type { AppContext } from '../context.ts'
import type { TargetResult } from '../domain/types.ts'
import type { LiveEntry, RunStartEvent } from '../live/types.ts'
import { type ColumnInfo, ids } from '../../views/run-view.tsx'
import { ColumnResetParts, ColumnResultParts, RunView, announceText } from '../../views/run-page-parts.tsx'
import { RunSummaryParts } from '../../views/summary-table.tsx'
import { PageStreamComposer, partial } from './page-stream.ts'
import { escapeHtml } from '../render/escape-html.ts'
import { blindColumn, columnInfo } from './column-info.ts'
import { columnIds, endParts, html } from './live-run.tsx'
import { earlierTurns, summaryTableData } from './run-summary.ts'

const FLUSH_MS = 50
const HEARTBEAT_MS = 15_000

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * A run's log replayed into the page's partials, by the same composer as the run's own stream. Fed from the
 * start, its output can be dropped up to a reconnect's Last-Event-ID: what follows is exactly what a page that
 * saw everything before needs.
 */
export class PageReplay {
  readonly composer = new PageStreamComposer(columnIds)
  readonly columns: ColumnInfo[]
  readonly results: Array<TargetResult | undefined>
  ended = false
  private finished = 0

  constructor(
    private readonly ctx: AppContext,
    readonly start: RunStartEvent,
    readonly blind: boolean,
    private readonly withActions = true,
  ) {
    this.columns = start.targets.map((t, i) =>
      blind ? blindColumn(i) : { ...columnInfo(ctx, t), label: start.labels[i] ?? t },
    )
    this.results = start.targets.map(() => undefined)
    for (let i = 0; i < start.targets.length; i++) this.composer.open(i)
  }

  /** The partials for these entries, in order. */
  async apply(entries: LiveEntry[]): Promise<string> {
    let out = ''
    for (const { event } of entries) {
      if (event.type === 'delta') this.composer.delta(event.index, event.kind, event.text)
      else if (event.type === 'restart') {
        out += this.composer.flush()
        if (this.results[event.index]) this.finished--
        this.results[event.index] = undefined
        this.composer.open(event.index)
        out += await html(<ColumnResetParts index={event.index} />)
      } else if (event.type === 'result') out += await this.result(event.index, event.result)
      else if (event.type === 'end') this.ended = true
    }
    return out + this.composer.flush()
  }

  private async result(index: number, result: TargetResult): Promise<string> {
    if (!this.results[index]) this.finished++
    this.results[index] = result
    const label = this.columns[index]?.label ?? ''
    const n = this.columns.length
    return (
      this.composer.flush() +
      this.composer.finish(index, result) +
      (await html(
        <ColumnResultParts
          runId={this.start.run_id}
          index={index}
          result={result}
          withActions={this.withActions}
          label={label}
          blind={this.blind}
        />,
      )) +
      partial('announce', 'innerHTML', escapeHtml(announceText(label, result, this.blind))) +
      // A retry's stream leaves the run's state alone, as the owner's own retry stream does.
      (this.withActions
        ? partial('run-state', 'innerHTML', escapeHtml(this.finished < n ? `${this.finished} of ${n} done…` : 'Done'))
        : '')
    )
  }

  /** The run's summary from the results in the log, with the conversation's earlier turns from history. */
  async summary() {
    const results = this.results.filter((r): r is TargetResult => r !== undefined)
    const earlier = await earlierTurns(
      this.ctx,
      this.start.parent_id,
      results.map((r) => r.target),
    )
    return summaryTableData(this.ctx, results, earlier.turns > 0 ? earlier.costs : null, earlier.turns + 1)
  }
}

/** Writes SSE messages in order, with a heartbeat while the run is quiet. */
function writer(stream: SSEStreamingApi) {
  let writing: Promise<unknown> = Promise.resolve()
  const heartbeat = setInterval(() => {
    writing = writing.then(() => stream.write(': ping\n\n'))
  }, HEARTBEAT_MS)
  return {
    send(message: { data: string; id?: string; event?: string }) {
      if (stream.aborted || (!message.data && !message.id && !message.event)) return writing
      writing = writing.then(() => stream.writeSSE(message))
      return writing
    },
    stop() {
      clearInterval(heartbeat)
      return writing
    },
  }
}

/** Batches of the log after `after`, at most one per ~50 ms: the page swaps as often as on the run's own stream. */
async function* batches(ctx: AppContext, runId: string, after: string, signal: AbortSignal) {
  for await (const batch of followUntilOver({ events: ctx.live.events, store: ctx.store, runId, after, signal })) {
    yield batch
    await sleep(FLUSH_MS)
  }
}

export interface AttachOptions {
  ctx: AppContext
  entries: LiveEntry[]
  start: RunStartEvent
  /** Blind and not voted on: columns are letters, no figures. */
  blind: boolean
  turn: number
  /** The reconnect's Last-Event-ID, when it names an entry of the log. */
  lastEventId?: string
}

/**
 * The page of a running run, attached to its log: the skeleton and the text so far, then live partials, and the
 * end parts when it ends. A reconnect gets only what follows its Last-Event-ID.
 */
export async function streamAttach(stream: SSEStreamingApi, options: AttachOptions): Promise<void> {
  const { ctx, entries, start } = options
  const signal = abortSignalOf(stream)
  const out = writer(stream)
  const replay = new PageReplay(ctx, start, options.blind)
  const seen = options.lastEventId ? entries.findIndex((e) => e.id === options.lastEventId) : -1
  let last = entries.at(-1)!.id
  try {
    if (seen >= 0) {
      // Rebuilt silently: the page already shows everything up to that entry.
      await replay.apply(entries.slice(0, seen + 1))
      const rest = entries.slice(seen + 1)
      if (rest.length > 0) out.send({ data: await replay.apply(rest), id: last })
    } else {
      const skeleton = await html(
        <RunView
          runId={start.run_id}
          columns={replay.columns}
          earlier={start.targets.map(() => [])}
          live={true}
          prompt={start.prompt}
          turn={options.turn}
          blind={options.blind}
        />,
      )
      out.send({ data: skeleton })
      out.send({ data: (await replay.apply(entries)) || partial('run-state', 'innerHTML', 'Running…'), id: last })
    }
    if (!replay.ended) {
      for await (const batch of batches(ctx, start.run_id, last, signal)) {
        last = batch.at(-1)!.id
        out.send({ data: await replay.apply(batch), id: last })
        if (replay.ended) break
      }
    }
    if (replay.ended && !stream.aborted) {
      out.send({
        data: await endParts(ctx, {
          runId: start.run_id,
          columns: replay.columns,
          targets: start.targets,
          blind: options.blind,
          summary: () => replay.summary(),
        }),
        id: last,
      })
    }
    await out.send({ event: 'done', data: start.run_id })
  } finally {
    await out.stop()
  }
}

/**
 * "Retry this column" asked here for a run another instance owns: the owner re-runs it into the log; this streams
 * that column's events from the log's end when the command was sent until its new result.
 */
export async function streamRemoteRetry(
  stream: SSEStreamingApi,
  options: { ctx: AppContext; entries: LiveEntry[]; start: RunStartEvent; index: number },
): Promise<void> {
  const { ctx, entries, start, index } = options
  // The owner says nothing when it no longer holds the run (or has no free slot): the wait for its first event
  // is bounded, and the column then says why nothing happened.
  const controller = new AbortController()
  stream.onAbort(() => controller.abort())
  let started = false
  const noAnswer = setTimeout(() => controller.abort(), ctx.live.retryWaitMs)
  const out = writer(stream)
  const replay = new PageReplay(ctx, start, false, false)
  await replay.apply(entries)
  try {
    let done = false
    for await (const batch of batches(ctx, start.run_id, entries.at(-1)!.id, controller.signal)) {
      // Its `restart` empties the column (the same partials as the owner's own retry stream).
      const mine = batch.filter((e) => 'index' in e.event && e.event.index === index)
      if (mine.some((e) => e.event.type === 'restart')) {
        started = true
        clearTimeout(noAnswer)
      }
      out.send({ data: await replay.apply(mine) })
      if (mine.some((e) => e.event.type === 'result')) {
        done = true
        break
      }
    }
    if (done && !stream.aborted) out.send({ data: await html(<RunSummaryParts summary={await replay.summary()} />) })
    if (!started && !stream.aborted) {
      const note = '<p class="error" role="alert">The instance that ran this run did not retry it (it no longer holds '
      out.send({
        data: partial(ids.error(index), 'innerHTML', `${note}the run, or is busy). Try again later.</p>`),
      })
    }
    await out.send({ event: 'done', data: start.run_id })
  } finally {
    clearTimeout(noAnswer)
    await out.stop()
  }
}

function abortSignalOf(stream: SSEStreamingApi): AbortSignal {
  const controller = new AbortController()
  stream.onAbort(() => controller.abort())
  return controller.signal
}
