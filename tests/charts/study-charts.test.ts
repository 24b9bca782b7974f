import { parseHTML } from 'linkedom'
import { describe, expect, it } from 'vitest'
import { evenSample } from '../../src/charts/sample.ts'
import {
  type ChartCell,
  costPerRequestChart,
  costTtftChart,
  SCATTER_POINTS,
  STRIP_POINTS_PER_TARGET,
  ttftChart,
  usdTick,
} from '../../src/charts/study-charts.ts'

const parse = (html: string) => parseHTML(`<!DOCTYPE html><html><body>${html}</body></html>`).document
/** The dots of the chart's own SVG (not the legend swatches). */
const dots = (html: string) => parse(html).querySelectorAll('figure > svg circle').length

describe('evenSample', () => {
  it('keeps short lists whole and thins long ones evenly, first item included, in order', () => {
    expect(evenSample([1, 2, 3], 5)).toEqual([1, 2, 3])
    const hundred = Array.from({ length: 100 }, (_, i) => i)
    expect(evenSample(hundred, 4)).toEqual([0, 25, 50, 75])
    expect(evenSample(hundred, 0)).toEqual([])
    expect(evenSample(hundred, 7)).toEqual(evenSample(hundred, 7))
  })
})

describe('study charts', () => {
  const targets = ['deepseek/deepseek-flash', 'openai/o3']
  const small: ChartCell[] = [
    { target: targets[0]!, cost_usd: 0.0001, ttft_ms: 300 },
    { target: targets[0]!, cost_usd: 0.0002, ttft_ms: 350 },
    { target: targets[1]!, cost_usd: 0.003, ttft_ms: 2100 },
    { target: targets[1]!, cost_usd: null, ttft_ms: 1900 },
    { target: targets[1]!, cost_usd: 0, ttft_ms: null },
  ]

  it('draws every cell with a cost above $0 on the log cost chart and says which were left out', () => {
    const html = costPerRequestChart({ cells: small, targets })
    expect(dots(html)).toBe(3)
    expect(parse(html).querySelector('figcaption')!.textContent).toContain('2 cells without a known cost above $0')
    expect(html).not.toContain('NaN')
    // One row per target, in the study's order.
    const labels = [...parse(html).querySelectorAll('[data-mark="y-axis tick label"] text')].map((t) => t.textContent)
    expect(labels).toEqual(targets)
  })

  it('draws TTFT on a linear scale from every cell that has one', () => {
    const html = ttftChart({
      cells: small,
      targets,
      figures: [
        { target: targets[0]!, median: 325, p90: 345 },
        { target: targets[1]!, median: 2000, p90: null },
      ],
    })
    expect(dots(html)).toBe(4)
    const cells = [...parse(html).querySelectorAll('details td')].map((c) => c.textContent)
    expect(cells).toEqual(['325 ms', '345 ms', '2.00 s', 'unknown'])
  })

  it('plots cost against TTFT only for cells with both, with a legend of the targets', () => {
    const html = costTtftChart({ cells: small, targets })
    expect(dots(html)).toBe(3)
    expect([...parse(html).querySelectorAll('.legend-item')].map((l) => l.textContent)).toEqual(targets)
    expect(parse(html).querySelector('figcaption')!.textContent).toContain('2 cells without both')
  })

  it('says so instead of drawing when no cell has a figure', () => {
    const none = [{ target: targets[0]!, cost_usd: null, ttft_ms: null }]
    expect(parse(costPerRequestChart({ cells: none, targets })).querySelector('svg text:last-of-type')).not.toBeNull()
    expect(costPerRequestChart({ cells: none, targets })).toContain('No cell has a known cost')
    expect(costTtftChart({ cells: none, targets })).toContain('No cell has both a known cost and a TTFT')
  })

  it('samples the dots of a 10,000-cell study evenly per target and says so', () => {
    const many: ChartCell[] = Array.from({ length: 10_000 }, (_, i) => ({
      target: targets[i % 2]!,
      cost_usd: (1 + (i % 37)) / 1e5,
      ttft_ms: 200 + (i % 101) * 10,
    }))
    const strip = costPerRequestChart({ cells: many, targets })
    expect(dots(strip)).toBe(2 * STRIP_POINTS_PER_TARGET)
    expect(strip).toContain(`Dots: ${2 * STRIP_POINTS_PER_TARGET} of 10,000 cells, an even sample per target`)
    const scatter = costTtftChart({ cells: many, targets })
    expect(dots(scatter)).toBe(SCATTER_POINTS)
    expect(scatter).toContain(`Dots: ${SCATTER_POINTS} of 10,000 cells`)
    // The rendered page stays small enough to send at once.
    expect(strip.length + scatter.length).toBeLessThan(200_000)
  })

  it('keeps a hostile target id inert in every chart', () => {
    const evil = ['<script>alert(1)</script>', '" onload="alert(1)']
    const cells = evil.map((t) => ({ target: t, cost_usd: 0.001, ttft_ms: 500 }))
    for (const html of [
      costPerRequestChart({ cells, targets: evil, figures: evil.map((t) => ({ target: t, median: 1, p90: 2 })) }),
      ttftChart({ cells, targets: evil }),
      costTtftChart({ cells, targets: evil }),
    ]) {
      const doc = parse(html)
      expect(doc.querySelectorAll('script')).toHaveLength(0)
      const handlers = [...doc.querySelectorAll('*')].flatMap((el) =>
        [...el.attributes].filter((a) => /^on/i.test(a.name)),
      )
      expect(handlers).toEqual([])
      expect(doc.body.textContent).toContain(evil[0])
    }
  })
})

describe('usdTick', () => {
  it('labels 1, 2 and 5 of each decade in dollars and leaves the others blank', () => {
    expect([0.0001, 0.0002, 0.0003, 0.0005, 0.001, 0.02, 1, 3].map(usdTick)).toEqual([
      '$0.0001',
      '$0.0002',
      '',
      '$0.0005',
      '$0.001',
      '$0.02',
      '$1',
      '',
    ])
  })
})

describe('the strip charts’ box', () => {
  it('puts the median tick on the nearest-rank median, as the summary table does (the lower middle value)', () => {
    const cells = [100, 200, 300, 400].map((ttft) => ({ target: 't/one', cost_usd: null, ttft_ms: ttft }))
    const d = parse(ttftChart({ cells, targets: ['t/one'] }))
    const dotX = [...d.querySelectorAll('[data-mark="dot"] circle')].map((c) => c.getAttribute('cx'))
    const tick = d.querySelector('[data-mark="tick"] line')!
    expect(tick.getAttribute('x1')).toBe(dotX[1])
    // Box from the 25th (100) to the 75th percentile (300).
    const box = d.querySelector('[data-mark="bar"] rect')!
    expect(box.getAttribute('x')).toBe(dotX[0])
    expect(Number(box.getAttribute('x')) + Number(box.getAttribute('width'))).toBeCloseTo(Number(dotX[2]), 6)
  })
})
