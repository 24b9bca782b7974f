import { formatUsd } from '../pricing/money.ts'
import type { StudyView, TargetSummary } from '../studies/types.ts'
import { ratioSentence } from '../studies/ratio-sentence.ts'
import { formatMs, formatRate } from '../../views/format.ts'
import { type Styles, renderTable, stripControls } from './terminal-text.ts'

function okErrors(t: TargetSummary): string {
  const kinds = Object.entries(t.errors_by_kind)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ')
  return `${t.ok} / ${t.errors}${kinds ? ` (${kinds})` : ''}`
}

function costCell(t: TargetSummary, pick: (c: NonNullable<TargetSummary['cost_usd']>) => number): string {
  return t.cost_usd === null ? 'unknown' : formatUsd(pick(t.cost_usd))
}

/** One row per target: cells ok / errors, cost per request (mean, median, p90), TTFT and speed, pass rate. */
export function studyTable(view: StudyView, style?: Styles): string[] {
  const rows = view.summary.targets.map((t) => [
    t.target,
    okErrors(t),
    costCell(t, (c) => c.mean),
    costCell(t, (c) => c.median),
    costCell(t, (c) => c.p90),
    formatMs(t.ttft_ms.median),
    formatRate(t.output_tokens_per_s.median),
    t.pass_rate === null ? '—' : `${Math.round(t.pass_rate * 100)}% of ${t.checked}`,
  ])
  return renderTable(
    ['target', 'ok / errors', 'cost mean', 'median', 'p90', 'TTFT median', 'tokens/s median', 'pass rate'],
    rows,
    { align: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right'], style },
  )
}

/** Why some costs are left out, in words: targets with no known cost, or with some cells unpriced. */
export function costNotes(view: StudyView): string[] {
  return view.summary.targets.flatMap((t) => {
    if (t.cost_usd === null && t.cells > 0) return [`${t.target}: no cell with a known cost (cost unknown, not $0)`]
    if (t.cost_unknown > 0) return [`${t.target}: ${t.cost_unknown} cell(s) with an unknown cost left out of its costs`]
    return []
  })
}

const prompts = (n: number) => `${n} prompt${n === 1 ? '' : 's'}`

/**
 * What `juxta study` prints at the end: status, the table, cost notes, and the paired-ratio sentences as the study
 * page words them ("a costs 31× less than b per request on these 40 prompts (95% CI 24–39×).").
 */
export function studyReport(view: StudyView, style: Styles): string {
  const stopped = view.stop_reason ? ` (${view.stop_reason})` : ''
  const lines = [
    style.bold(`Study ${view.study_id}: ${stripControls(view.name)}`),
    `${view.status}${stopped}: ${view.progress.done}/${view.progress.total} cells, ` +
      `${prompts(view.prompt_count)} × ${view.targets.length} targets × ${view.repeats} repeats, ` +
      `spend ${view.spend_so_far_usd === null ? 'unknown' : formatUsd(view.spend_so_far_usd)}`,
    '',
    ...studyTable(view, style),
  ]
  const notes = costNotes(view)
  if (notes.length > 0) lines.push('', ...notes)
  if (view.summary.cost_ratios.length > 0) lines.push('', ...view.summary.cost_ratios.map((r) => ratioSentence(r)))
  return `${lines.join('\n')}\n`
}
