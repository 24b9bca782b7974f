import type { AppContext } from '../context.ts'
import type { TargetResult } from '../engine/types.ts'
import { summarizeRun } from '../pricing/summary.ts'
import { picoToUsd, usdToPico } from '../pricing/money.ts'
import type { RunSummaryData, SummaryRow } from '../../views/summary-table.tsx'
import type { LiveRun, RunRegistry } from './run-registry.ts'
import { columnInfo } from './live-run.tsx'

/**
 * Rows of the summary table. `earlierCosts` holds, per target, the cost of its earlier turns (null when one
 * of them is unknown); with more than one turn the rows also show the whole conversation's cost.
 */
export function summaryRows(
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
      label: r.label || columnInfo(ctx, r.target).label,
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
      conversation_usd: turns > 1 && earlierCosts ? addUsd(r.cost.total_usd, earlierCosts[r.target] ?? null) : undefined,
    }
  })
  const notes = figures.targets
    .filter((f) => f.cost_excluded)
    .map((f) => `${f.target}: left out of the cost ranking (${f.cost_excluded})`)
  return { rows, turns, cheapest: figures.cheapest?.target ?? null, fastest: figures.fastest?.target ?? null, notes }
}

/** The summary of a live run, with conversation totals from the earlier turns still held in memory. */
export function summarize(ctx: AppContext, registry: RunRegistry, run: LiveRun): RunSummaryData {
  const results = run.results.filter((r): r is TargetResult => r !== undefined)
  const chain = ancestors(registry, run)
  const earlier: Record<string, number | null> = {}
  for (const r of results) {
    let total: number | null = 0
    for (const parent of chain) {
      const i = parent.request.targets.findIndex((t) => t.target === r.target)
      total = addUsd(total, i >= 0 ? (parent.results[i]?.cost.total_usd ?? null) : null)
    }
    earlier[r.target] = total
  }
  return summaryRows(ctx, results, chain.length ? earlier : null, chain.length + 1)
}

function ancestors(registry: RunRegistry, run: LiveRun): LiveRun[] {
  const out: LiveRun[] = []
  let parentId = run.meta.parent_id
  while (parentId) {
    const parent = registry.get(parentId)
    if (!parent) break
    out.push(parent)
    parentId = parent.meta.parent_id
  }
  return out
}

/** Exact sum of two USD amounts; unknown as soon as either is unknown. */
export function addUsd(a: number | null, b: number | null): number | null {
  if (a === null || b === null) return null
  return picoToUsd(usdToPico(a) + usdToPico(b))
}
