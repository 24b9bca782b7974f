import type { AppContext } from '../context.ts'
import type { TargetResult } from '../engine/types.ts'
import { summarizeRun } from '../pricing/summary.ts'
import { picoToUsd, usdToPico } from '../pricing/money.ts'
import type { RunSummaryData, SummaryRow } from '../../views/summary-table.tsx'
import type { LiveRun, RunRegistry } from './run-registry.ts'
import { columnInfo } from './live-run.tsx'

/** Rows of the summary table for a run, with conversation totals when it continues earlier runs. */
export function summarize(ctx: AppContext, registry: RunRegistry, run: LiveRun): RunSummaryData {
  const results = run.results.filter((r): r is TargetResult => r !== undefined)
  const figures = summarizeRun(results)
  const chain = ancestors(registry, run)
  const rows: SummaryRow[] = results.map((r, i) => {
    const f = figures.targets[i]!
    return {
      target: r.target,
      label: columnInfo(ctx, r.target).label,
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
      conversation_usd: chain.length ? conversationCost(chain, r) : undefined,
    }
  })
  const notes = figures.targets
    .filter((f) => f.cost_excluded)
    .map((f) => `${f.target}: left out of the cost ranking (${f.cost_excluded})`)
  return { rows, turns: chain.length + 1, cheapest: figures.cheapest?.target ?? null, fastest: figures.fastest?.target ?? null, notes }
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

/** The target's cost over every turn, summed exactly; unknown as soon as one turn's cost is unknown. */
function conversationCost(chain: LiveRun[], r: TargetResult): number | null {
  if (r.cost.total_usd === null) return null
  let total = usdToPico(r.cost.total_usd)
  for (const run of chain) {
    const i = run.request.targets.findIndex((t) => t.target === r.target)
    const c = i >= 0 ? run.results[i]?.cost.total_usd : null
    if (c === null || c === undefined) return null
    total += usdToPico(c)
  }
  return picoToUsd(total)
}
