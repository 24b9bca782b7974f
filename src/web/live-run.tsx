import type { SSEStreamingApi } from 'hono/streaming'
import type { AppContext } from '../context.ts'
import { executeRun, retryTarget, type RunMeta } from '../engine/run-service.ts'
import type { CompareRequest, RunEvent } from '../engine/types.ts'
import type { TargetResult } from '../domain/types.ts'
import { type ColumnInfo, ids } from '../../views/run-view.tsx'
import { LiveStats } from '../../views/run-view.tsx'
import {
  ColumnResetParts,
  ColumnResultParts,
  FollowUpFields,
  RunCopyButton,
  RunView,
  announceText,
} from '../../views/run-page-parts.tsx'
import { type RunSummaryData, RunSummaryParts } from '../../views/summary-table.tsx'
import { DiffForm } from '../../views/answer-diff-view.tsx'
import { liveSummaryTable } from './run-summary.ts'
import { PageStreamComposer, partial } from './page-stream.ts'
import { escapeHtml } from '../render/escape-html.ts'
import type { LiveRun, RunRegistry } from './run-registry.ts'
import { blindColumn, columnInfo } from './column-info.ts'
import { VoteForm } from '../../views/vote-form.tsx'
import { voteFormOf } from './vote-choices.ts'
import { ArenaPanel } from '../../views/arena-panel.tsx'
import { judgeTargets } from './arena-panel.tsx'

export const columnIds = (i: number) => ({ rendered: ids.rendered(i), tail: ids.tail(i), reasoning: ids.reasoning(i) })

const FLUSH_MS = 50
const STATS_MS = 1000
const HEARTBEAT_MS = 15_000

export const html = async (node: unknown): Promise<string> =>
  String(await (node as { toString(): string | Promise<string> }).toString())

/**
 * Drives one page stream: writes the skeleton, then batched partials every ~50 ms, live figures every second,
 * each column's final parts as it ends, the summary and follow-up form, and `event: done` last.
 */
async function pump(
  stream: SSEStreamingApi,
  options: {
    composer: PageStreamComposer
    indexes: number[]
    work: (onEvent: (e: RunEvent) => void) => Promise<void>
    onResult: (index: number, result: TargetResult) => Promise<string>
    /** False in a blind run: live figures (TTFT, speed, tokens) would tell the answers apart. */
    figures: boolean
  },
): Promise<void> {
  const { composer, indexes, work, onResult } = options
  let writing: Promise<unknown> = Promise.resolve()
  // Writes are chained so partials never interleave or reorder.
  const send = (data: string) => {
    if (!data || stream.aborted) return writing
    writing = writing.then(() => stream.writeSSE({ data }))
    return writing
  }
  for (const i of indexes) composer.open(i)
  const statsOf = (i: number) => {
    const live = options.figures ? composer.live(i) : undefined
    return live
      ? `<hx-partial hx-target="#${ids.stats(i)}" hx-swap="innerHTML">${String(LiveStats(live))}</hx-partial>`
      : ''
  }
  const flushTimer = setInterval(() => void send(composer.flush()), FLUSH_MS)
  const statsTimer = setInterval(() => void send(composer.running().map(statsOf).join('')), STATS_MS)
  // A column's first figures (its TTFT) go out with its first text, not up to a second later.
  const started = new Set<number>()
  const heartbeat = setInterval(() => {
    writing = writing.then(() => stream.write(': ping\n\n'))
  }, HEARTBEAT_MS)
  try {
    await work((event) => {
      if (event.type === 'delta') {
        composer.delta(event.index, event.kind, event.text)
        if (!started.has(event.index)) {
          started.add(event.index)
          void send(composer.flush() + statsOf(event.index))
        }
      } else if (event.type === 'result') {
        const parts = composer.flush() + composer.finish(event.index, event.result)
        // Sequenced after pending writes; the tail of each column is final before its stats.
        writing = writing.then(async () => {
          const rest = await onResult(event.index, event.result)
          if (!stream.aborted) await stream.writeSSE({ data: parts + rest })
        })
      }
    })
  } finally {
    clearInterval(flushTimer)
    clearInterval(statsTimer)
    clearInterval(heartbeat)
  }
  await send(composer.flush())
  await writing
}

/** What a page stream of a new run needs: the app, the live runs, the run to start and how the page labels it. */
export interface NewRunStream {
  ctx: AppContext
  registry: RunRegistry
  request: CompareRequest
  meta: RunMeta
  /** The conversation turn this run is, shown as a badge from 2 on. */
  turn: number
  /**
   * A blind run: its targets are already in letter order (shuffled); nothing sent names them until the vote.
   * Reasoning still streams (it names no model).
   */
  blind?: boolean
}

export async function streamNewRun(stream: SSEStreamingApi, options: NewRunStream): Promise<void> {
  const { ctx, registry, request, meta, turn } = options
  const blind = options.blind === true
  const run: LiveRun = {
    request,
    meta,
    controller: new AbortController(),
    results: request.targets.map(() => undefined),
    retries: new Map(),
    done: false,
    turn,
    blind,
  }
  registry.add(run)
  stream.onAbort(() => {
    registry.stop(request.run_id)
  })
  const columns = request.targets.map((t, i) =>
    blind ? blindColumn(i) : columnInfo(ctx, t.target, { images: meta.images?.length }),
  )
  const earlier = request.targets.map((t) => t.messages.slice(0, -1))
  await stream.writeSSE({
    data: await html(
      <RunView
        runId={request.run_id}
        columns={columns}
        earlier={earlier}
        live={true}
        prompt={meta.prompt}
        turn={turn}
        blind={blind}
      />,
    ),
  })
  // A message with partials never swaps into #run, so the follow-up form is cleared on its own.
  await stream.writeSSE({ data: partial('followup', 'innerHTML', '') })

  const composer = new PageStreamComposer(columnIds)
  let finished = 0
  try {
    await pump(stream, {
      composer,
      figures: !blind,
      indexes: request.targets.map((_, i) => i),
      work: async (onEvent) => {
        // Each slot is filled as its result streams out (onResult below); a column retried meanwhile owns its
        // slot, so the run's own results must not overwrite them at the end.
        await executeRun(ctx, request, meta, { signal: run.controller.signal, onEvent })
      },
      onResult: async (index, result) => {
        run.results[index] = result
        finished++
        const label = columns[index]!.label
        return (
          (await html(
            <ColumnResultParts
              runId={request.run_id}
              index={index}
              result={result}
              withActions={true}
              label={label}
              blind={blind}
            />,
          )) +
          partial('announce', 'innerHTML', escapeHtml(announceText(label, result, blind))) +
          partial(
            'run-state',
            'innerHTML',
            escapeHtml(
              finished < columns.length
                ? `${finished} of ${columns.length} done…`
                : run.controller.signal.aborted
                  ? 'Stopped'
                  : 'Done',
            ),
          )
        )
      },
    })
  } finally {
    // Also when the work threw: a finished run may leave the registry to make room.
    run.done = true
  }
  if (stream.aborted) return
  await stream.writeSSE({
    data: await endParts(ctx, {
      runId: request.run_id,
      columns,
      targets: request.targets.map((t) => t.target),
      blind,
      summary: () => liveSummaryTable(ctx, registry, run),
    }),
  })
  await stream.writeSSE({ event: 'done', data: request.run_id })
}

/** "Retry this column": runs one target again with the same messages and streams it into its column. */
export async function streamColumnRetry(
  stream: SSEStreamingApi,
  options: { ctx: AppContext; registry: RunRegistry; run: LiveRun; index: number },
): Promise<void> {
  const { ctx, registry, run, index } = options
  const info = columnInfo(ctx, run.request.targets[index]!.target)
  const controller = new AbortController()
  run.retries.get(index)?.abort()
  run.retries.set(index, controller)
  stream.onAbort(() => controller.abort())
  await stream.writeSSE({ data: await html(<ColumnResetParts index={index} />) })
  const composer = new PageStreamComposer(columnIds)
  await pump(stream, {
    composer,
    figures: true,
    indexes: [index],
    work: async (onEvent) => {
      await retryTarget(ctx, run.request, index, { signal: controller.signal, onEvent })
    },
    onResult: async (i, result) => {
      run.results[i] = result
      return (
        (await html(
          <ColumnResultParts
            runId={run.request.run_id}
            index={i}
            result={result}
            withActions={false}
            label={info.label}
          />,
        )) + partial('announce', 'innerHTML', escapeHtml(announceText(info.label, result)))
      )
    },
  })
  run.retries.delete(index)
  if (stream.aborted) return
  await stream.writeSSE({ data: await html(<RunSummaryParts summary={await liveSummaryTable(ctx, registry, run)} />) })
  await stream.writeSSE({ event: 'done', data: run.request.run_id })
}

/**
 * What a page gets when its run ends: summary, follow-up form, copy, diff, vote and judge, and Stop removed. A
 * blind run's parts name no target.
 */
export async function endParts(
  ctx: AppContext,
  options: {
    runId: string
    columns: ColumnInfo[]
    targets: string[]
    blind: boolean
    summary: () => Promise<RunSummaryData>
  },
): Promise<string> {
  const { runId, columns, blind } = options
  // A blind run's follow-up form names no target: the server continues the parent's.
  const targets = blind ? [] : options.targets
  const vote = ctx.arena ? await html(<VoteForm {...voteFormOf(runId, columns, blind)} />) : ''
  const labels = new Map(columns.map((c) => [c.target, c.label]))
  // The judge's form (or, in a blind run, why it waits for the vote): votes come later, through the vote route.
  const judge = ctx.arena
    ? await html(
        <ArenaPanel
          runId={runId}
          hidden={blind}
          votes={[]}
          judges={judgeTargets(ctx)}
          labelOf={(t) => labels.get(t) ?? t}
        />,
      )
    : ''
  return (
    (blind ? '' : await html(<RunSummaryParts summary={await options.summary()} />)) +
    partial('followup', 'innerHTML', await html(<FollowUpFields runId={runId} targets={targets} />)) +
    (blind ? '' : partial('run-copy', 'innerHTML', await html(<RunCopyButton runId={runId} />))) +
    // By id, not hx-target: see ColumnResultParts (the form inside has its own hx-target).
    (blind ? '' : `<hx-partial id="diff">${await html(<DiffForm runId={runId} columns={columns} />)}</hx-partial>`) +
    (vote ? `<hx-partial id="vote">${vote}</hx-partial>` : '') +
    (judge ? `<hx-partial id="judge">${judge}</hx-partial>` : '') +
    `<hx-partial hx-target="#stop" hx-swap="delete"></hx-partial>`
  )
}
