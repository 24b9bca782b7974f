import type { AppContext } from '../context.ts'
import type { TargetResult } from '../domain/types.ts'
import type { RunDetail, StoredRun } from '../storage/types.ts'
import type { RunViewProps } from '../../views/run-page-parts.tsx'
import { HUMAN, type Vote } from '../arena/types.ts'
import { blindColumn, columnInfo, columnLabel } from './column-info.ts'
import { findRun } from './find-run.ts'
import type { RunRegistry } from './run-registry.ts'
import { earlierTurns, liveSummaryTable, summaryTableData } from './run-summary.ts'
import { blindState } from './blind-state.ts'
import { voteFormOf } from './vote-choices.ts'

/** A stored target as the live view's components expect it (an interrupted target has no total time). */
export function asResult(r: StoredRun['results'][number]): TargetResult {
  const status = r.status === 'running' || r.status === 'interrupted' ? 'error' : r.status
  return { ...r, status, timing: { ...r.timing, total_ms: r.timing.total_ms ?? 0 } }
}

export interface RunViewData {
  view: RunViewProps
  /** The run's targets in column order. */
  targets: string[]
  system: string | null
  /** Blind and not voted on yet: nothing shown may name a target. */
  hidden: boolean
  votes: Vote[]
  /** The stored run, when it came from history. */
  stored?: RunDetail
}

/**
 * Everything the run view shows of a finished run, from memory (a run of this process) or history: columns,
 * results, summary, the vote, all with a blind run's identities hidden until a person has voted on it.
 * Null for an unknown run; `running` while it still streams.
 */
export async function runViewData(
  ctx: AppContext,
  registry: RunRegistry,
  runId: string,
): Promise<RunViewData | 'running' | null> {
  const found = await findRun(ctx, registry, runId)
  if (!found) return null
  const blind = await blindState(ctx, runId)
  const hidden = blind?.hidden === true
  const votes = (await ctx.arena?.votesOf(runId)) ?? []
  const human = votes.find((v) => v.source === HUMAN)
  let data: RunViewData
  if (found.kind === 'live') {
    const run = found.run
    if (!run.done || run.results.some((r) => r === undefined)) return 'running'
    const results = run.results as TargetResult[]
    const targets = run.request.targets.map((t) => t.target)
    data = {
      targets,
      system: run.meta.system,
      hidden,
      votes,
      view: {
        runId,
        columns: targets.map((t) => columnInfo(ctx, t, { images: run.meta.images?.length })),
        earlier: run.request.targets.map((t) => t.messages.slice(0, -1)),
        results,
        live: true,
        prompt: run.meta.prompt,
        turn: run.turn,
        summary: await liveSummaryTable(ctx, registry, run),
      },
    }
  } else {
    const run = found.run
    const conversation = run.parent_id ? await ctx.store?.conversationFor(run.parent_id) : null
    const results = run.results.map(asResult)
    const columns = run.targets.map((t, i) => ({
      ...columnInfo(ctx, t, { images: run.images?.length }),
      label: columnLabel(ctx, t, run.results[i]?.label),
    }))
    const statuses = run.results.map((r) => r.status)
    const before = await earlierTurns(ctx, run.parent_id, run.targets)
    const summary = summaryTableData(ctx, results, before.turns > 0 ? before.costs : null, before.turns + 1)
    summary.rows.forEach((row, i) => {
      if (statuses[i] === 'interrupted' || statuses[i] === 'running') row.status = statuses[i]
    })
    data = {
      targets: run.targets,
      system: run.system,
      hidden,
      votes,
      stored: run,
      view: {
        runId,
        columns,
        earlier: run.targets.map((t) => conversation?.[t] ?? []),
        results,
        live: false,
        prompt: run.prompt,
        turn: run.turn,
        summary,
        statuses,
      },
    }
  }
  const named = data.view.columns
  if (hidden) data.view.columns = named.map((_, i) => blindColumn(i))
  data.view.blind = hidden
  const running = data.stored?.status === 'running'
  if (ctx.arena && !running) data.view.vote = voteFormOf(runId, data.view.columns, hidden, hidden ? undefined : human)
  return data
}
