/**
 * The fixed class every chart's SVG carries, and the rules that replace the `<style>` element Plot puts inside
 * it (the page CSP allows no inline style). The asset route serves them after `views/assets/app.css`; the
 * self-contained report inlines them.
 */
export const CHART_CLASS = 'jx-plot'

/** Mark classes a chart may give its marks; colours come from CSS variables, so light and dark both work. */
export const CHART_MARK = { box: 'jx-box', faint: 'jx-faint' } as const

export const CHART_CSS = `/* ---- Charts (src/charts): Plot's own rules, under a fixed class ---- */
.jx-plot {
  --plot-background: var(--panel);
  display: block;
  height: auto;
  max-width: 100%;
}
.jx-plot text,
.jx-plot tspan {
  white-space: pre;
}
.jx-plot .jx-box {
  fill: var(--chart-box);
}
.jx-plot .jx-faint {
  stroke-opacity: 0.45;
}
.chart-figure {
  --chart-box: #b9c4f5;
  margin: 0.8rem 0;
}
@media (prefers-color-scheme: dark) {
  .chart-figure {
    --chart-box: #34407a;
  }
}
.chart-figure figcaption {
  color: var(--muted);
  font-size: 0.85rem;
}
.chart-figure figcaption strong {
  color: var(--text);
  font-size: 0.95rem;
}
.chart-swatch {
  margin-right: 0.3rem;
  vertical-align: baseline;
}
`
