import { picoToUsd } from '../pricing/money.ts'
import { pairedRatio } from '../stats/paired-ratio.ts'
import { median, p90 } from '../stats/quantile.ts'
import type { StoredCell } from '../storage/study-store.ts'
import type { CostRatio, CostStats, StudySummary, TargetSummary } from './types.ts'

/**
 * A study's figures from its cells. Costs are over cells with a known cost only (summed exactly in pico-dollars,
 * null when none: never 0 for unknown); latency, tokens and speed are over ok cells (a failed request's timing
 * says nothing about the model's). A cell that ended in error counts as failing its `expected` check.
 */
export function summarize(options: {
  studyId: string
  targets: ReadonlyArray<{ target: string; label: string }>
  cells: ReadonlyArray<StoredCell>
}): StudySummary {
  const byTarget = new Map<string, StoredCell[]>(options.targets.map((t) => [t.target, []]))
  for (const cell of options.cells) byTarget.get(cell.target)?.push(cell)
  const targets = options.targets.map((t) => targetSummary(t.target, t.label, byTarget.get(t.target) ?? []))
  return { targets, cost_ratios: costRatios(options.studyId, targets, byTarget) }
}

const known = <T>(values: ReadonlyArray<T | null>): T[] => values.filter((v): v is T => v !== null)

function targetSummary(target: string, label: string, cells: StoredCell[]): TargetSummary {
  const finished = cells.filter((c) => c.status === 'ok' || c.status === 'error')
  const ok = finished.filter((c) => c.status === 'ok')
  const errorsByKind: TargetSummary['errors_by_kind'] = {}
  for (const c of finished) {
    if (c.status !== 'error') continue
    const kind = c.error_kind ?? 'upstream'
    errorsByKind[kind] = (errorsByKind[kind] ?? 0) + 1
  }
  const costs = known(finished.map((c) => c.cost_pico))
  const checked = finished.filter((c) => c.expected_pass !== null)
  const passed = checked.filter((c) => c.expected_pass).length
  const stat = (values: number[]) => ({ median: median(values), p90: p90(values) })
  return {
    target,
    label,
    cells: cells.length,
    ok: ok.length,
    errors: finished.length - ok.length,
    errors_by_kind: errorsByKind,
    cost_usd: costStats(costs),
    cost_unknown: finished.length - costs.length,
    ttft_ms: stat(known(ok.map((c) => c.ttft_ms))),
    total_ms: stat(known(ok.map((c) => c.total_ms))),
    output_tokens: { median: median(known(ok.map((c) => c.output_tokens))) },
    output_tokens_per_s: { median: median(known(ok.map((c) => c.output_tokens_per_s))) },
    pass_rate: checked.length === 0 ? null : passed / checked.length,
    checked: checked.length,
    passed,
  }
}

function costStats(costs: bigint[]): CostStats | null {
  if (costs.length === 0) return null
  const total = costs.reduce((a, b) => a + b, 0n)
  return {
    total: picoToUsd(total),
    mean: picoToUsd(total) / costs.length,
    median: picoToUsd(median(costs)!),
    p90: picoToUsd(p90(costs)!),
  }
}

/**
 * Every target with a known cost against the cheapest (lowest median cost per request) that costs more than $0,
 * paired by prompt: a ratio to a free (local) model has no value, so a free target is compared with the cheapest
 * paid one instead ("costs nothing on the median prompt"). Only when every priced target is free is the baseline
 * a free one, and each ratio then says so in its note.
 */
function costRatios(studyId: string, targets: TargetSummary[], byTarget: Map<string, StoredCell[]>): CostRatio[] {
  const priced = targets.filter((t) => t.cost_usd !== null)
  if (priced.length < 2) return []
  const paid = priced.filter((t) => t.cost_usd!.median > 0)
  const cheapest = (paid.length > 0 ? paid : priced).reduce((a, b) => (b.cost_usd!.median < a.cost_usd!.median ? b : a))
  const perPrompt = (target: string) => {
    const map = new Map<string, Array<number | null>>()
    for (const c of byTarget.get(target) ?? []) {
      if (c.status !== 'ok' && c.status !== 'error') continue
      const key = String(c.prompt_index).padStart(6, '0')
      const list = map.get(key) ?? []
      list.push(c.cost_pico === null ? null : picoToUsd(c.cost_pico))
      map.set(key, list)
    }
    return map
  }
  const base = perPrompt(cheapest.target)
  return priced
    .filter((t) => t !== cheapest)
    .map((t) => {
      // Seeded from the study id: the same study always shows the same interval.
      const r = pairedRatio({ a: perPrompt(t.target), b: base, seed: `${studyId}:${t.target}` })
      return {
        target: t.target,
        vs: cheapest.target,
        median: r.median,
        ci95: r.ci95,
        prompts: r.prompts,
        geo_mean: r.geo_mean,
        total_ratio: r.total_ratio,
        excluded: r.excluded,
        note: r.note ?? null,
      }
    })
}
