import * as Plot from '@observablehq/plot'
import { parseHTML } from 'linkedom'
import { describe, expect, it } from 'vitest'
import { CHART_CLASS, CHART_CSS } from '../../src/charts/chart-css.ts'
import { renderChart } from '../../src/charts/render-chart.ts'
import { assetRoutes } from '../../src/routes/assets.ts'

const HOSTILE = [
  '<script>alert(1)</script>',
  '" onload="alert(1)',
  "' onmouseover='alert(2)",
  '<img src=x onerror=alert(3)>',
]

/** Parses the markup as a browser would and lists what could run: script elements and on* attributes. */
function activeParts(html: string): string[] {
  const { document } = parseHTML(`<!DOCTYPE html><html><body>${html}</body></html>`)
  const found: string[] = []
  for (const el of document.querySelectorAll('*')) {
    if (['script', 'img', 'iframe', 'object', 'foreignobject'].includes(el.tagName.toLowerCase()))
      found.push(el.tagName)
    for (const attr of el.attributes)
      if (/^on/i.test(attr.name) || attr.name === 'style') found.push(`${el.tagName}@${attr.name}`)
  }
  return found
}

describe('renderChart', () => {
  const bars = [
    { target: 'a/one', value: 2 },
    { target: 'b/two', value: 5 },
  ]

  it('returns a figure whose SVG is an image with a name, a description and the fixed class', () => {
    const html = renderChart({
      title: 'Requests per target',
      description: 'Two bars; b/two sent more.',
      marks: [Plot.barX(bars, { x: 'value', y: 'target' })],
    })
    const { document } = parseHTML(`<!DOCTYPE html><html><body>${html}</body></html>`)
    const svg = document.querySelector('figure.chart-figure > svg')!
    expect(svg.getAttribute('role')).toBe('img')
    expect(svg.getAttribute('aria-label')).toBe('Requests per target')
    expect(svg.getAttribute('class')).toBe(CHART_CLASS)
    expect(svg.querySelector('title')?.textContent).toBe('Requests per target')
    expect(svg.querySelector('desc')?.textContent).toBe('Two bars; b/two sent more.')
    expect(document.querySelector('figcaption')?.textContent).toContain('Two bars; b/two sent more.')
    expect(svg.querySelectorAll('rect')).toHaveLength(2)
    // One image: no ARIA on its parts (axe refuses aria-label on a group without a role).
    expect(svg.querySelectorAll('[aria-label]')).toHaveLength(0)
    expect(svg.querySelector('[data-mark="bar"]')).not.toBeNull()
  })

  it('strips every inline style (the CSP allows none) and keeps their rules in the stylesheet', async () => {
    const html = renderChart({
      title: 't',
      description: 'd',
      style: { color: 'red' },
      marks: [Plot.barX(bars, { x: 'value', y: 'target' })],
    })
    expect(html).not.toMatch(/<style|style=/)
    const css = await (await assetRoutes().request('/assets/app.css')).text()
    expect(css).toContain(CHART_CSS)
    expect(css).toContain(`.${CHART_CLASS}`)
  })

  it('keeps hostile target names, titles and table cells inert text', () => {
    const data = HOSTILE.map((t, i) => ({ target: t, value: i + 1 }))
    const html = renderChart({
      title: HOSTILE[0]!,
      description: HOSTILE[1]!,
      marginLeft: 200,
      marks: [Plot.barX(data, { x: 'value', y: 'target', title: 'target' })],
      table: { caption: HOSTILE[2]!, columns: [HOSTILE[3]!], rows: HOSTILE.map((h) => [h]) },
      legend: HOSTILE.map((h) => ({ label: h, color: h })),
    })
    expect(activeParts(html)).toEqual([])
    // Each string is still there, as text a reader sees.
    const { document } = parseHTML(`<!DOCTYPE html><html><body>${html}</body></html>`)
    const text = document.body.textContent ?? ''
    for (const h of HOSTILE) expect(text).toContain(h)
    expect(document.querySelector('figure > svg')!.getAttribute('aria-label')).toBe(HOSTILE[0])
  })

  it('never lets Plot draw its legends (HTML with inline styles): the legend option draws ours', () => {
    const html = renderChart({
      title: 't',
      description: 'd',
      color: { legend: true },
      legend: [{ label: 'a/one', color: '#4c6ef5' }],
      marks: [Plot.barX(bars, { x: 'value', y: 'target', fill: 'target' })],
    })
    expect(html).not.toMatch(/<style|style=/)
    const { document } = parseHTML(`<!DOCTYPE html><html><body>${html}</body></html>`)
    expect(document.querySelector('.legend')?.textContent).toBe('a/one')
    expect(document.querySelector('.legend rect')?.getAttribute('fill')).toBe('#4c6ef5')
  })

  it('renders a data table as the text alternative when given one', () => {
    const html = renderChart({
      title: 't',
      description: 'd',
      marks: [Plot.barX(bars, { x: 'value', y: 'target' })],
      table: { caption: 'The figures', columns: ['Target', 'Value'], rows: [['a/one', '2']] },
    })
    const { document } = parseHTML(`<!DOCTYPE html><html><body>${html}</body></html>`)
    expect(document.querySelector('details summary')?.textContent).toBe('The figures')
    expect([...document.querySelectorAll('tbody th, tbody td')].map((c) => c.textContent)).toEqual(['a/one', '2'])
  })
})
