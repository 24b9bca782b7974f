import type * as PlotTypes from '@observablehq/plot'
import { Plot, parseHTML } from './plot-lib.ts'
import type { SafeHtml } from '../render/markdown.ts'
import { escapeHtml } from '../render/escape-html.ts'
import { CHART_CLASS } from './chart-css.ts'

/** A small table that says in text what the chart shows (its text alternative beside the description). */
export interface ChartTable {
  caption: string
  columns: string[]
  rows: string[][]
}

/** One legend entry: drawn in HTML by us, since Plot's own legends are HTML with inline styles. */
export interface ChartLegendItem {
  label: string
  color: string
}

/**
 * Plot's options, minus those that would make Plot wrap the SVG in an HTML figure with inline styles (its
 * title, caption and legends): the chart draws those itself.
 */
export type ChartPlotOptions = Omit<PlotTypes.PlotOptions, 'title' | 'subtitle' | 'caption' | 'figure' | 'document'>

export interface ChartOptions extends ChartPlotOptions {
  /** Short name: the SVG's accessible name and the figure's visible heading. */
  title: string
  /** What the chart shows and how to read it (sampling included): visible caption and the SVG's `<desc>`. */
  description: string
  table?: ChartTable
  legend?: ChartLegendItem[]
}

/**
 * Renders a chart to SVG on the server: no script, no inline style, so it works under the strict page CSP and
 * in the mailed report. Every string (target ids, prompt text) reaches the markup through the DOM serializer
 * (Plot's text nodes and attributes) or escapeHtml, never by concatenation, so data is always inert text.
 */
export function renderChart(options: ChartOptions): SafeHtml {
  const { title, description, table, legend, ...plotOptions } = options
  const { document } = parseHTML('<!DOCTYPE html><html><body></body></html>')
  const root = Plot().plot({
    ...plotOptions,
    className: CHART_CLASS,
    figure: false,
    document: document as unknown as Document,
  }) as unknown as Element
  if (root.tagName.toLowerCase() !== 'svg') throw new Error('renderChart draws its own legend: set no Plot legend')
  // The CSP forbids inline styles: Plot's <style> rules live in the site stylesheet (chart-css.ts).
  for (const style of [...root.querySelectorAll('style')]) style.remove()
  for (const el of [root, ...root.querySelectorAll('[style]')]) el.removeAttribute('style')
  // The SVG is one image to assistive technology; Plot's labels on its groups (aria-label without a role) are
  // refused by axe, so they become data attributes (kept for tests and debugging).
  for (const el of [...root.querySelectorAll('[aria-label]')]) {
    el.setAttribute('data-mark', el.getAttribute('aria-label') ?? '')
    el.removeAttribute('aria-label')
  }
  root.setAttribute('role', 'img')
  root.setAttribute('aria-label', title)
  root.removeAttribute('aria-description')
  const desc = document.createElementNS('http://www.w3.org/2000/svg', 'desc')
  desc.textContent = description
  root.prepend(desc)
  const titleEl = document.createElementNS('http://www.w3.org/2000/svg', 'title')
  titleEl.textContent = title
  root.prepend(titleEl)
  return [
    '<figure class="chart-figure">',
    `<figcaption><strong>${escapeHtml(title)}</strong><br>${escapeHtml(description)}</figcaption>`,
    legend?.length ? legendHtml(legend) : '',
    root.outerHTML,
    table ? tableHtml(table) : '',
    '</figure>',
  ].join('') as SafeHtml
}

function legendHtml(items: ChartLegendItem[]): string {
  const entries = items.map(
    (item) =>
      '<span class="legend-item"><svg class="chart-swatch" viewBox="0 0 10 10" width="10" height="10" ' +
      `aria-hidden="true"><rect width="10" height="10" fill="${escapeHtml(item.color)}"></rect></svg>` +
      `${escapeHtml(item.label)}</span>`,
  )
  return `<div class="legend">${entries.join('')}</div>`
}

function tableHtml(table: ChartTable): string {
  const head = table.columns.map((c) => `<th scope="col">${escapeHtml(c)}</th>`).join('')
  const rows = table.rows.map((row) => `<tr>${row.map((v, i) => cellHtml(v, i === 0)).join('')}</tr>`).join('')
  return (
    `<details class="chart-data"><summary>${escapeHtml(table.caption)}</summary>` +
    `<table class="data"><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table></details>`
  )
}

const cellHtml = (value: string, header: boolean) =>
  header ? `<th scope="row">${escapeHtml(value)}</th>` : `<td>${escapeHtml(value)}</td>`
