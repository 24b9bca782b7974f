import { Plot } from './plot-lib.ts'
import type { SafeHtml } from '../render/markdown.ts'
import { formatUsd } from '../pricing/money.ts'
import { formatMs } from '../../views/format.ts'
import { renderChart } from './render-chart.ts'
import { usdTick } from './study-charts.ts'

/** One target on the leaderboard chart. */
export interface LeaderboardPoint {
  target: string
  label: string
  rating: number
  ci95: [number, number]
  /** The x value: median cost (USD) or median TTFT (ms); null when unknown (not drawn). */
  x: number | null
  /** On the Pareto front of rating against this x. */
  pareto: boolean
}

/**
 * Rating (Elo scale, with its 95% interval as a vertical bar) against median cost per answer on a log axis, or
 * against median TTFT; the Pareto front (nothing better for less) as a step line. Targets with an unknown x are
 * not drawn and the description says how many.
 */
export function leaderboardChart(points: readonly LeaderboardPoint[], axis: 'cost' | 'ttft'): SafeHtml {
  const cost = axis === 'cost'
  const drawn = points.filter((p) => p.x !== null && Number.isFinite(p.x) && (!cost || p.x > 0))
  const missing = points.length - drawn.length
  const front = drawn.filter((p) => p.pareto).sort((a, b) => a.x! - b.x!)
  const what = cost ? 'median cost per answer' : 'median time to first token'
  const notes = [
    `Each target's rating (dot) with its 95% interval (bar) against its ${what}` +
      `${cost ? ' on a log scale' : ''}; higher is better, further left is ${cost ? 'cheaper' : 'faster'}.`,
    front.length ? 'The line steps through the Pareto front: no other target is better for less.' : '',
    missing ? `${missing} ${missing === 1 ? 'target' : 'targets'} without a known ${what} not drawn.` : '',
  ]
  const format = (x: number) => (cost ? formatUsd(x) : formatMs(x))
  return renderChart({
    title: cost ? 'Rating against median cost per answer' : 'Rating against median time to first token',
    description: notes.filter(Boolean).join(' '),
    height: 360,
    marginLeft: 56,
    // Room for the labels written to the right of the dots.
    marginRight: 130,
    marginBottom: 42,
    grid: true,
    x: cost
      ? { type: 'log', label: 'Median cost per answer (USD, log scale) →', tickFormat: usdTick, inset: 12 }
      : { label: 'Median time to first token (ms) →', zero: true, inset: 12 },
    y: { label: '↑ Rating (Elo scale)', inset: 16 },
    // The marks are hidden from assistive technology (Plot labels each group "dot", "rule"…, which axe refuses on
    // a plain <g>): the SVG is one image with a title, a description and the table below as its text.
    marks: drawn.length
      ? [
          Plot().ruleX(drawn, {
            x: 'x',
            y1: (p: LeaderboardPoint) => p.ci95[0],
            y2: (p: LeaderboardPoint) => p.ci95[1],
            ariaHidden: 'true',
          }),
          Plot().line(front, { x: 'x', y: 'rating', curve: 'step-after', strokeDasharray: '4 3', ariaHidden: 'true' }),
          Plot().dot(drawn, { x: 'x', y: 'rating', r: 4, fill: 'currentColor', ariaHidden: 'true' }),
          Plot().text(drawn, { x: 'x', y: 'rating', text: 'label', dx: 8, textAnchor: 'start', ariaHidden: 'true' }),
        ]
      : [Plot().text([`No rated target has a known ${what}`], { frameAnchor: 'middle' })],
    table: {
      caption: 'The chart as a table',
      columns: ['Target', 'Rating', '95% interval', cost ? 'Median cost' : 'Median TTFT', 'Pareto front'],
      rows: points.map((p) => [
        p.label,
        p.rating.toFixed(0),
        `${p.ci95[0].toFixed(0)}–${p.ci95[1].toFixed(0)}`,
        p.x === null ? 'unknown' : format(p.x),
        p.pareto ? 'yes' : 'no',
      ]),
    },
  })
}
