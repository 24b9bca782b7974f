import { priceOverrides } from '../../config/price-overrides.ts'
import { costPerRequestChart, costTtftChart, ttftChart } from '../charts/study-charts.ts'
import type { Usage } from '../domain/types.ts'
import type { Catalog } from '../providers/catalog.ts'
import { picoToUsd, usdToPico } from '../pricing/money.ts'
import type { PriceOverrides } from '../pricing/schedule.ts'
import { priceWhatIf, type WhatIf } from '../pricing/what-if.ts'
import type { SafeHtml } from '../render/markdown.ts'
import type { CellView, StudyView } from '../studies/types.ts'

export interface WhatIfRow {
  target: string
  label: string
  whatIf: WhatIf
  /** What the same cells cost as run (each priced at its own start); null when one of them is unknown. */
  actual_usd: number | null
}

export interface StudyCharts {
  cost: SafeHtml
  ttft: SafeHtml
  scatter: SafeHtml
}

/** The three charts of a study, from every finished cell (the chart module samples the dots it draws). */
export function studyCharts(view: StudyView, cells: readonly CellView[]): StudyCharts {
  const finished = cells.filter((c) => c.status === 'ok' || c.status === 'error')
  // TTFT of a failed request says nothing about the model (the summary uses ok cells too).
  const chartCells = finished.map((c) => ({
    target: c.target,
    cost_usd: c.cost_usd,
    ttft_ms: c.status === 'ok' ? c.ttft_ms : null,
  }))
  const targets = view.targets
  const of = (pick: (t: StudyView['summary']['targets'][number]) => { median: number | null; p90: number | null }) =>
    view.summary.targets.map((t) => ({ target: t.target, ...pick(t) }))
  return {
    cost: costPerRequestChart({
      cells: chartCells,
      targets,
      figures: of((t) => ({ median: t.cost_usd?.median ?? null, p90: t.cost_usd?.p90 ?? null })),
    }),
    ttft: ttftChart({ cells: chartCells, targets, figures: of((t) => t.ttft_ms) }),
    scatter: costTtftChart({ cells: chartCells, targets }),
  }
}

const usageOf = (c: CellView): Usage | null =>
  c.input_tokens === null || c.output_tokens === null
    ? null
    : {
        input_tokens: c.input_tokens,
        cached_input_tokens: c.cached_input_tokens,
        output_tokens: c.output_tokens,
        reasoning_tokens: c.reasoning_tokens,
        source: 'reported',
      }

/**
 * The price what-if of every target whose price depends on the hour or weekday at the study's start. A model
 * priced by the user's config, or simulated, has one price at all times and gets none.
 */
export function studyWhatIf(options: {
  view: StudyView
  cells: readonly CellView[]
  catalog: Catalog
  overrides?: PriceOverrides
}): WhatIfRow[] {
  const { view, catalog } = options
  const at = new Date(view.started_at ?? view.created_at)
  const labels = new Map(view.summary.targets.map((t) => [t.target, t.label]))
  const rows: WhatIfRow[] = []
  for (const target of view.targets) {
    const entry = catalog.find(target)
    if (!entry || entry.model.price || entry.provider.builtin === 'demo') continue
    const cells = options.cells.filter((c) => c.target === target && (c.status === 'ok' || c.status === 'error'))
    const whatIf = priceWhatIf({
      overrides: options.overrides ?? priceOverrides,
      pricingProvider: entry.provider.pricing,
      model: entry.model.id,
      at,
      cells: cells.map((c) => ({ usage: usageOf(c), started_at: new Date(c.started_at ?? at) })),
    })
    if (!whatIf) continue
    const priced = cells.filter((c) => usageOf(c) !== null)
    const actual = priced.every((c) => c.cost_usd !== null)
      ? picoToUsd(priced.reduce((sum, c) => sum + usdToPico(c.cost_usd!), 0n))
      : null
    rows.push({ target, label: labels.get(target) ?? target, whatIf, actual_usd: actual })
  }
  return rows
}
