import type { AppContext } from '../context.ts'
import type { TargetResult } from '../domain/types.ts'
import { summarizeRun } from '../pricing/summary.ts'
import { picoToUsd, usdToPico } from '../pricing/money.ts'
import type { RunSummaryData, SummaryRow } from '../../views/summary-table.tsx'
import type { LiveRun, RunRegistry } from './run-registry.ts'
import { columnLabel } from './column-info.ts'

/**
 * Rows of the summary table. `earlierCosts` holds, per target, the cost of its earlier turns (null when one
 * of them is unknown); with more than one turn the rows also show the whole conversation's cost.
 */
export function summaryTableData(
  ctx: AppContext,
  results: TargetResult[],
  earlierCosts: Record<string, number | null> | null,
  turns: number,
): RunSummaryData {
  const figures = summarizeRun(results)
  const rows: SummaryRow[] = results.map((r, i) => {
    const f = figures.targets[i]!
    return {
      target: r.target,
      label: columnLabel(ctx, r.target, r.label),
      status: r.status,
      ttft_ms: r.timing.ttft_ms,
      total_ms: r.timing.total_ms,
      tokens_per_s: r.timing.output_tokens_per_s,
      input_tokens: r.usage.input_tokens,
      cached_input_tokens: r.usage.cached_input_tokens,
      output_tokens: r.usage.output_tokens,
      reasoning_tokens: r.usage.reasoning_tokens,
      cost: r.cost,
      cost_multiple: f.cost_multiple,
      latency_multiple: f.latency_multiple,
      per_1000_usd: f.per_1000_usd,
      cheapest: f.cheapest,
      fastest: f.fastest,
      conversation_usd:
        turns > 1 && earlierCosts ? addUsd(r.cost.total_usd, earlierCosts[r.target] ?? null) : undefined,
    }
  })
  const notes = figures.targets
    .filter((f) => f.cost_excluded)
    .map((f) => `${f.target}: left out of the cost ranking (${f.cost_excluded})`)
  return { rows, turns, cheapest: figures.cheapest?.target ?? null, fastest: figures.fastest?.target ?? null, notes }
}

/** The summary of a live run, with the conversation's earlier turns from memory or, failing that, history. */
export async function liveSummaryTable(ctx: AppContext, registry: RunRegistry, run: LiveRun): Promise<RunSummaryData> {
  const results = run.results.filter((r): r is TargetResult => r !== undefined)
  const earlier = await earlierTurns(
    ctx,
    run.meta.parent_id,
    results.map((r) => r.target),
    registry,
  )
  return summaryTableData(ctx, results, earlier.turns > 0 ? earlier.costs : null, earlier.turns + 1)
}

/**
 * Per target, the cost of the conversation's earlier turns, walking the parent chain through the runs held
 * in memory and then the stored ones. A turn whose cost is unknown, or a chain that cannot be followed to
 * its start, makes the total unknown rather than too small.
 */
export async function earlierTurns(
  ctx: AppContext,
  parentId: string | null,
  targets: string[],
  registry?: RunRegistry,
): Promise<{ turns: number; costs: Record<string, number | null> }> {
  const costs: Record<string, number | null> = Object.fromEntries(targets.map((t) => [t, 0]))
  let turns = 0
  for (let id = parentId; id && turns < 1000; turns++) {
    const live = registry?.get(id)
    const stored = live ? null : await ctx.store?.getRun(id)
    if (!live && !stored) {
      for (const t of targets) costs[t] = null
      return { turns: turns + 1, costs }
    }
    for (const t of targets) {
      const cost = live
        ? live.results[live.request.targets.findIndex((x) => x.target === t)]?.cost.total_usd
        : stored!.results[stored!.targets.indexOf(t)]?.cost.total_usd
      costs[t] = addUsd(costs[t] ?? null, cost ?? null)
    }
    id = live ? live.meta.parent_id : stored!.parent_id
  }
  return { turns, costs }
}

/** Exact sum of two USD amounts; unknown as soon as either is unknown. */
export function addUsd(a: number | null, b: number | null): number | null {
  if (a === null || b === null || !Number.isFinite(a) || !Number.isFinite(b)) return null
  return picoToUsd(usdToPico(a) + usdToPico(b))
}
