import type { AppContext } from '../context.ts'
import type { TargetResult } from '../engine/types.ts'
import type { RunSummaryData, SummaryRow } from '../../views/summary-table.tsx'
import type { LiveRun, RunRegistry } from './run-registry.ts'
import { columnInfo } from './live-run.tsx'

/** Rows of the summary table for a run, with conversation totals when it continues earlier runs. */
export function summarize(ctx: AppContext, registry: RunRegistry, run: LiveRun): RunSummaryData {
  const results = run.results.filter((r): r is TargetResult => r !== undefined)
  const known = results.filter((r) => r.cost.total_usd !== null && r.status === 'ok')
  const cheapest = known.reduce<TargetResult | null>((a, r) => (!a || r.cost.total_usd! < a.cost.total_usd! ? r : a), null)
  const done = results.filter((r) => r.status === 'ok')
  const fastest = done.reduce<TargetResult | null>((a, r) => (!a || r.timing.total_ms < a.timing.total_ms ? r : a), null)
  const chain = ancestors(registry, run)
  const rows: SummaryRow[] = results.map((r) => {
    const multiple = cheapest && r.cost.total_usd !== null && cheapest.cost.total_usd! > 0 ? r.cost.total_usd / cheapest.cost.total_usd! : null
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
      cost_multiple: multiple,
      latency_multiple: fastest && r.status === 'ok' ? r.timing.total_ms / fastest.timing.total_ms : null,
      per_1000_usd: r.cost.total_usd === null ? null : r.cost.total_usd * 1000,
      cheapest: cheapest?.target === r.target,
      fastest: fastest?.target === r.target,
      conversation_usd: chain.length ? conversationCost(chain, r) : undefined,
    }
  })
  const notes = results.filter((r) => r.cost.total_usd === null).map((r) => `${r.target}: cost unknown (${r.cost.reason ?? 'no reason'}), left out of the ranking`)
  return { rows, turns: chain.length + 1, cheapest: cheapest?.target ?? null, fastest: fastest?.target ?? null, notes }
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

function conversationCost(chain: LiveRun[], r: TargetResult): number | null {
  let total = r.cost.total_usd
  for (const run of chain) {
    const i = run.request.targets.findIndex((t) => t.target === r.target)
    const c = i >= 0 ? run.results[i]?.cost.total_usd : null
    if (total === null || c === null || c === undefined) return null
    total += c
  }
  return total
}
