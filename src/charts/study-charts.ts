import { Plot } from './plot-lib.ts'
import type { SafeHtml } from '../render/markdown.ts'
import { formatUsd } from '../pricing/money.ts'
import { formatInt, formatMs } from '../../views/format.ts'
import { CHART_MARK } from './chart-css.ts'
import { type ChartTable, renderChart } from './render-chart.ts'
import { evenSample } from './sample.ts'
import { quantileOfSorted, sortedNumbers } from '../stats/quantile.ts'

/** What the study charts need of one cell: its target and its two figures (null when unknown). */
export interface ChartCell {
  target: string
  cost_usd: number | null
  ttft_ms: number | null
}

/** A target's summary figures for the chart's text table, as the study summary computed them. */
export interface ChartFigures {
  target: string
  median: number | null
  p90: number | null
}

export interface StudyChartInput {
  cells: readonly ChartCell[]
  /** Targets in the order the study lists them (rows of the strip charts, colours of the scatter). */
  targets: readonly string[]
  figures?: readonly ChartFigures[]
}

/** Mid-tone colours readable on both the light and the dark panel (same family as the spend chart). */
export const TARGET_PALETTE = [
  '#4c6ef5',
  '#e8590c',
  '#2f9e44',
  '#ae3ec9',
  '#1098ad',
  '#f08c00',
  '#d6336c',
  '#5c940d',
  '#868e96',
]

/** Dots drawn per target in a strip chart, and in the whole scatter: enough to see a spread, quick to render. */
export const STRIP_POINTS_PER_TARGET = 100
export const SCATTER_POINTS = 800

const ROW_HEIGHT = 44
/** Wider than Plot's 640 px default: the page's cards are wide; the SVG scales down on a narrow screen. */
const WIDTH = 760

export function targetColor(targets: readonly string[], target: string): string {
  const i = targets.indexOf(target)
  return TARGET_PALETTE[Math.max(i, 0) % TARGET_PALETTE.length]!
}

/** Cost per request per target: box (quartiles), whiskers (10th–90th), median tick and the cells as dots. */
export function costPerRequestChart(input: StudyChartInput): SafeHtml {
  return stripChart(input, {
    title: 'Cost per request per target',
    unit: 'cost',
    label: 'Cost per request (USD, log scale) →',
    value: (c) => c.cost_usd,
    format: (v) => formatUsd(v),
    log: true,
  })
}

/** Time to first token per target, drawn like the cost chart on a linear scale. */
export function ttftChart(input: StudyChartInput): SafeHtml {
  return stripChart(input, {
    title: 'Time to first token per target',
    unit: 'TTFT',
    label: 'Time to first token (ms) →',
    value: (c) => c.ttft_ms,
    format: (v) => formatMs(v),
    log: false,
  })
}

/** Cost (log) against TTFT, one dot per cell coloured by target: cheap-and-fast is bottom left. */
export function costTtftChart(input: StudyChartInput): SafeHtml {
  const drawable = input.cells.filter(
    (c) => c.cost_usd !== null && c.cost_usd > 0 && c.ttft_ms !== null && Number.isFinite(c.ttft_ms),
  )
  const shown = sampleByTarget(drawable, input.targets, SCATTER_POINTS)
  const notes = [
    countNote(shown.length, drawable.length),
    missingNote(input.cells.length - drawable.length, 'both a cost above $0 and a TTFT'),
  ]
  return renderChart({
    title: 'Cost against time to first token',
    description: ['One dot per cell, coloured by target; lower left is cheaper and faster.', ...notes]
      .filter(Boolean)
      .join(' '),
    legend: input.targets.map((t) => ({ label: t, color: targetColor(input.targets, t) })),
    width: WIDTH,
    height: 340,
    marginLeft: 56,
    marginBottom: 40,
    grid: true,
    x: { type: 'log', label: 'Cost per request (USD, log scale) →', tickFormat: usdTick },
    y: { label: '↑ Time to first token (ms)', zero: true },
    color: { domain: [...input.targets], range: input.targets.map((t) => targetColor(input.targets, t)) },
    marks: drawable.length
      ? [Plot().dot(shown, { x: 'cost_usd', y: 'ttft_ms', stroke: 'target', r: 2.5, className: CHART_MARK.faint })]
      : [Plot().text(['No cell has both a known cost and a TTFT'], { frameAnchor: 'middle' })],
  })
}

interface StripSpec {
  title: string
  unit: string
  label: string
  value: (cell: ChartCell) => number | null
  format: (value: number) => string
  log: boolean
}

interface Point {
  target: string
  value: number
}

function stripChart(input: StudyChartInput, spec: StripSpec): SafeHtml {
  const points: Point[] = []
  let missing = 0
  for (const cell of input.cells) {
    const v = spec.value(cell)
    if (v === null || !Number.isFinite(v) || (spec.log && v <= 0)) missing++
    else points.push({ target: cell.target, value: v })
  }
  const shown = sampleByTarget(
    points,
    input.targets,
    STRIP_POINTS_PER_TARGET * input.targets.length,
    STRIP_POINTS_PER_TARGET,
  )
  const notes = [
    'Box: middle half of the cells (25th–75th percentile); line: 10th–90th percentile; thick tick: median;',
    'dots: cells.',
    countNote(shown.length, points.length, ' (the box and ticks use every cell)'),
    missingNote(missing, spec.log ? `a known ${spec.unit} above $0` : `a ${spec.unit}`),
  ]
  // Quantiles from every cell, nearest rank as in the summary table (its median is the tick); only dots are sampled.
  const boxes = boxStats(points, input.targets)
  const marks = points.length
    ? [
        Plot().ruleY(boxes, { y: 'target', x1: 'p10', x2: 'p90' }),
        Plot().barX(boxes, {
          y: 'target',
          x1: 'p25',
          x2: 'p75',
          insetTop: 8,
          insetBottom: 8,
          className: CHART_MARK.box,
        }),
        Plot().dot(shown, { x: 'value', y: 'target', r: 2, className: CHART_MARK.faint }),
        Plot().tickX(boxes, { y: 'target', x: 'p50', strokeWidth: 3, insetTop: 4, insetBottom: 4 }),
      ]
    : [Plot().text([`No cell has ${spec.unit === 'cost' ? 'a known cost' : 'a TTFT'}`], { frameAnchor: 'middle' })]
  return renderChart({
    title: spec.title,
    description: notes.filter(Boolean).join(' '),
    table: input.figures ? figuresTable(input.figures, spec) : undefined,
    width: WIDTH,
    height: Math.max(120, 60 + ROW_HEIGHT * input.targets.length),
    marginLeft: Math.min(260, 12 + 6.2 * Math.max(8, ...input.targets.map((t) => t.length))),
    marginBottom: 40,
    x: {
      type: spec.log ? 'log' : 'linear',
      label: spec.label,
      grid: true,
      ...(spec.log ? { tickFormat: usdTick } : { zero: true }),
    },
    y: { domain: [...input.targets], label: null },
    marks,
  })
}

interface BoxStats {
  target: string
  p10: number
  p25: number
  p50: number
  p75: number
  p90: number
}

/** Each target's quantiles over its points (targets without any are left out). */
function boxStats(points: readonly Point[], targets: readonly string[]): BoxStats[] {
  const byTarget = new Map<string, number[]>(targets.map((t) => [t, []]))
  for (const p of points) byTarget.get(p.target)?.push(p.value)
  return [...byTarget].flatMap(([target, values]) => {
    if (values.length === 0) return []
    const sorted = sortedNumbers(values)
    const q = (x: number) => quantileOfSorted(sorted, x)!
    return [{ target, p10: q(0.1), p25: q(0.25), p50: q(0.5), p75: q(0.75), p90: q(0.9) }]
  })
}

function figuresTable(figures: readonly ChartFigures[], spec: StripSpec): ChartTable {
  const show = (v: number | null) => (v === null ? 'unknown' : spec.format(v))
  return {
    caption: `${spec.title}: the figures`,
    columns: ['Target', `Median ${spec.unit}`, `p90 ${spec.unit}`],
    rows: figures.map((f) => [f.target, show(f.median), show(f.p90)]),
  }
}

/** An even sample per target (each target keeps its share), so a slow or frequent target never hides another. */
function sampleByTarget<T extends { target: string }>(
  items: readonly T[],
  targets: readonly string[],
  total: number,
  perTarget = Math.max(1, Math.floor(total / Math.max(1, targets.length))),
): T[] {
  if (items.length <= total && perTarget * targets.length >= items.length) {
    const counts = new Map<string, number>()
    for (const it of items) counts.set(it.target, (counts.get(it.target) ?? 0) + 1)
    if ([...counts.values()].every((n) => n <= perTarget)) return [...items]
  }
  const groups = new Map<string, T[]>()
  for (const it of items) {
    const g = groups.get(it.target)
    if (g) g.push(it)
    else groups.set(it.target, [it])
  }
  return [...groups.values()].flatMap((g) => evenSample(g, perTarget))
}

function countNote(shown: number, all: number, tail = ''): string {
  return shown < all ? `Dots: ${formatInt(shown)} of ${formatInt(all)} cells, an even sample per target${tail}.` : ''
}

function missingNote(missing: number, what: string): string {
  return missing > 0 ? `${formatInt(missing)} ${missing === 1 ? 'cell' : 'cells'} without ${what} not drawn.` : ''
}

/** Log-axis labels in dollars at 1, 2 and 5 of each decade (the other ticks stay unlabelled, as Plot does). */
export function usdTick(value: number): string {
  const mantissa = value / 10 ** Math.floor(Math.log10(value) + 1e-9)
  if (![1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6)) return ''
  return value >= 1e-6 ? `$${Number(value.toPrecision(1))}` : formatUsd(value, 1)
}
