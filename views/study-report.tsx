import { html, raw } from 'hono/html'
import type { CellView, StudyView } from '../src/studies/types.ts'
import type { StudyCharts, WhatIfRow } from '../src/web/study-figures.ts'
import { CHART_CSS } from '../src/charts/chart-css.ts'
import { formatUsd } from '../src/pricing/money.ts'
import { SafeMarkup } from './safe-html.tsx'
import { formatInt } from './format.ts'
import { formatWhen } from './history-page.tsx'
import { PromptGrid, RatioSentences, StudySummaryTable, statusText, studyShape, WhatIfTables } from './study-parts.tsx'

/**
 * The report's policy, also sent as a header: the file is mailed and opened from disk, where no header travels,
 * so the document carries it too. Nothing may load, run or be framed; only the inline style applies.
 */
export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

/** The report's own stylesheet: the site's colours and table rules in a few lines, plus the charts' rules. */
const REPORT_CSS = `
:root { color-scheme: light dark; --bg: #f7f8fa; --panel: #fff; --text: #1b1f24; --muted: #5f6b7a;
  --border: #d9dee5; --bad: #b42318; --good: #1f7a3d; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0f1115; --panel: #171a21; --text: #e6e9ef; --muted: #9aa4b2; --border: #2c313c;
    --bad: #ff8a80; --good: #5fd38a; }
}
body { margin: 0 auto; max-width: 1200px; padding: 1rem; background: var(--bg); color: var(--text);
  font: 15px/1.5 system-ui, -apple-system, Segoe UI, Roboto, sans-serif; }
section.card, .card { background: var(--panel); border: 1px solid var(--border); border-radius: 10px;
  padding: 0.8rem 1rem; margin: 0 0 1rem; }
h1 { font-size: 1.5rem; margin: 0.2rem 0; } h2 { font-size: 1.15rem; margin: 0 0 0.6rem; }
.muted { color: var(--muted); }
.table-scroll { overflow-x: auto; }
table.data { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
table.data th, table.data td { border-bottom: 1px solid var(--border); padding: 0.3rem 0.5rem; text-align: left;
  vertical-align: top; }
table.data caption { text-align: left; font-weight: 600; padding: 0.3rem 0; }
.badge { display: inline-block; border: 1px solid var(--border); border-radius: 999px; padding: 0 0.45rem;
  font-size: 0.78rem; margin-right: 0.3rem; }
.status-error, .cost-unknown, .check-fail { color: var(--bad); }
.status-ok, .check-pass { color: var(--good); }
.grid-cell { min-width: 14rem; }
.grid-figures, .grid-excerpt { display: block; }
.grid-excerpt { color: var(--muted); white-space: pre-wrap; overflow-wrap: anywhere; }
.legend { display: flex; flex-wrap: wrap; gap: 0.8rem; font-size: 0.85rem; color: var(--muted); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
${CHART_CSS}`

export function StudyReport(props: {
  view: StudyView
  cells: CellView[]
  charts: StudyCharts
  whatIf: WhatIfRow[]
  generatedAt: string
}) {
  const v = props.view
  const targets = v.summary.targets.map((t) => ({ target: t.target, label: t.label }))
  return html`<!DOCTYPE html>${(
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta http-equiv="Content-Security-Policy" content={REPORT_CSP} />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{`Study report: ${v.name}`}</title>
        {/* A constant of this module (no data in it): raw, since the escaper would turn its quotes into entities. */}
        <style>{raw(REPORT_CSS)}</style>
      </head>
      <body>
        <header class="card">
          <h1>{v.name}</h1>
          <p class="muted">
            Juxta study report · created {formatWhen(v.created_at)} · {statusText(v)} · report made{' '}
            {formatWhen(props.generatedAt)}
          </p>
          <p>
            {studyShape(v)}: {formatInt(v.progress.done)} of {formatInt(v.progress.total)} cells done,{' '}
            {formatInt(v.progress.errors)} errors, spend{' '}
            {v.spend_so_far_usd === null ? 'unknown' : formatUsd(v.spend_so_far_usd)}
            {v.spend_unknown_cells ? ` + ${formatInt(v.spend_unknown_cells)} cells of unknown cost` : ''}.
          </p>
          <p>Targets: {v.targets.join(', ')}</p>
        </header>
        <section class="card" aria-labelledby="summary">
          <h2 id="summary">Per target</h2>
          <StudySummaryTable view={v} />
          <h2>Cost against the cheapest</h2>
          <RatioSentences view={v} />
          <p class="muted">
            For each prompt, the ratio of the two targets' median cost over its repeats; the median over prompts, with a
            95% bootstrap interval over prompts.
          </p>
        </section>
        <section class="card" aria-labelledby="charts">
          <h2 id="charts">Charts</h2>
          <SafeMarkup html={props.charts.cost} />
          <SafeMarkup html={props.charts.ttft} />
          <SafeMarkup html={props.charts.scatter} />
        </section>
        <section class="card" aria-labelledby="what-if">
          <h2 id="what-if">Price what-if</h2>
          <WhatIfTables rows={props.whatIf} />
        </section>
        <section class="card" aria-labelledby="grid">
          <h2 id="grid">Per prompt</h2>
          <PromptGrid targets={targets} cells={props.cells} />
        </section>
      </body>
    </html>
  )}`
}
