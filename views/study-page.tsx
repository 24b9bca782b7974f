import type { CellView, StudyView } from '../src/studies/types.ts'
import type { StudyCharts, WhatIfRow } from '../src/web/study-figures.ts'
import { formatUsd } from '../src/pricing/money.ts'
import { Layout } from './layout.tsx'
import { SafeMarkup } from './safe-html.tsx'
import { formatInt } from './format.ts'
import { formatWhen } from './history-page.tsx'
import {
  PromptGrid,
  RatioSentences,
  StudyProgressBlock,
  StudySummaryTable,
  statusText,
  studyShape,
  WhatIfTables,
} from './study-parts.tsx'

/** How often a running study's progress is fetched again (htmx polling, stopped when the study ends). */
export const PROGRESS_POLL = 'every 1s'

/**
 * The live part of a running study: polled while the study runs; the response that finds it ended asks htmx to
 * load the page again (HX-Redirect), which then shows the results. Not a live region: the bar and figures would
 * be read out every second; the reloaded page's title says the new status instead.
 */
export function StudyLive(props: { view: StudyView }) {
  const running = props.view.status === 'running'
  return (
    <div
      id="study-live"
      hx-get={running ? `/studies/${props.view.study_id}/progress` : undefined}
      hx-trigger={running ? PROGRESS_POLL : undefined}
      hx-swap={running ? 'outerHTML' : undefined}
    >
      <StudyProgressBlock view={props.view} />
    </div>
  )
}

function Controls(props: { view: StudyView }) {
  const v = props.view
  const action = (verb: 'pause' | 'cancel' | 'resume', label: string, cls = '') => (
    <form method="post" action={`/studies/${v.study_id}/${verb}`} class="inline-form">
      <button type="submit" class={cls}>
        {label}
      </button>
    </form>
  )
  if (v.status === 'running') {
    return (
      <div class="toolbar study-controls">
        {action('pause', 'Pause')}
        {action('cancel', 'Cancel', 'danger')}
      </div>
    )
  }
  if (v.status === 'interrupted') {
    return (
      <div class="toolbar study-controls">
        {v.stop_reason === 'budget' ? (
          <form method="post" action={`/studies/${v.study_id}/resume`} class="inline-form">
            <label>
              New budget (USD)
              <input name="max_usd" type="number" min="0.000001" step="any" required />
            </label>{' '}
            <button type="submit" class="primary">
              Resume
            </button>
          </form>
        ) : (
          action('resume', 'Resume', 'primary')
        )}
        {action('cancel', 'Cancel', 'danger')}
      </div>
    )
  }
  return null
}

function Exports(props: { id: string }) {
  return (
    <p class="toolbar exports">
      <span>Export:</span>
      <a href={`/api/studies/${props.id}/export.csv`} download>
        CSV (one row per cell)
      </a>
      <a href={`/api/studies/${props.id}/export.json`} download>
        JSON (the whole study)
      </a>
      <a href={`/api/studies/${props.id}/export.html`} download>
        HTML report (self-contained)
      </a>
    </p>
  )
}

export interface GridPage {
  cells: CellView[]
  page: number
  pages: number
  prompts: number
}

export function StudyPage(props: {
  view: StudyView
  charts: StudyCharts | null
  whatIf: WhatIfRow[]
  grid: GridPage
  /** A message after an action (paused, resumed, ...) or why it was refused. */
  notice?: { text: string; error?: boolean }
}) {
  const v = props.view
  const targets = v.summary.targets.map((t) => ({ target: t.target, label: t.label }))
  const ended = v.status !== 'running'
  return (
    <Layout title={`${v.name} (${statusText(v)})`} active="studies">
      <nav class="breadcrumbs" aria-label="Breadcrumb">
        <a href="/studies">Studies</a> › {formatWhen(v.created_at)}
      </nav>
      <h1 class="study-title">{v.name}</h1>
      <p class="muted study-meta">
        {studyShape(v)} = {formatInt(v.progress.total)} cells · concurrency {v.concurrency} per provider
        {v.params.temperature !== undefined ? ` · temperature ${v.params.temperature}` : ''}
        {v.params.max_tokens !== undefined ? ` · max tokens ${formatInt(v.params.max_tokens)}` : ''}
        {v.max_usd !== null ? ` · budget ${formatUsd(v.max_usd)}` : ''}
      </p>
      {props.notice ? (
        <p class={props.notice.error ? 'form-errors' : 'notice'} role={props.notice.error ? 'alert' : 'status'}>
          {props.notice.text}
        </p>
      ) : (
        ''
      )}
      <section class="card" aria-labelledby="progress-heading">
        <h2 id="progress-heading">
          Progress: <span class={`status-${v.status}`}>{statusText(v)}</span>
        </h2>
        <StudyLive view={v} />
        <Controls view={v} />
      </section>
      <section class="card" aria-labelledby="summary-heading">
        <h2 id="summary-heading">Per target{ended ? '' : ' (so far)'}</h2>
        <StudySummaryTable view={v} />
        <h3>Cost against the cheapest</h3>
        <RatioSentences view={v} />
        <p class="muted ratio-help">
          For each prompt, the ratio of the two targets' median cost over its repeats; the median over prompts, with a
          95% bootstrap interval over prompts (the same study always shows the same interval).
        </p>
      </section>
      {/* The LLM judge against a reference (src/routes/study-judge.tsx), once the study has ended. */}
      {ended ? (
        <p class="card">
          <a href={`/studies/${v.study_id}/judge`}>Judge against a reference</a>: how often each target is as good as
          one of them, by an LLM judge, beside what it costs.
        </p>
      ) : (
        ''
      )}
      {props.charts ? (
        <section class="card" aria-labelledby="charts-heading">
          <h2 id="charts-heading">Charts</h2>
          <SafeMarkup html={props.charts.cost} />
          <SafeMarkup html={props.charts.ttft} />
          <SafeMarkup html={props.charts.scatter} />
        </section>
      ) : (
        <p class="card muted">The charts, the price what-if and the grid appear here when the study ends.</p>
      )}
      {props.charts ? (
        <section class="card" aria-labelledby="what-if-heading">
          <h2 id="what-if-heading">Price what-if</h2>
          <p class="muted">
            Where a provider's price depends on the hour or the weekday, what the same token usage would cost in each
            price window.
          </p>
          <WhatIfTables rows={props.whatIf} />
        </section>
      ) : (
        ''
      )}
      {props.charts ? (
        <section class="card" aria-labelledby="grid-heading">
          <h2 id="grid-heading">Per prompt</h2>
          <p class="muted">Open a prompt to read every answer to it side by side.</p>
          <PromptGrid targets={targets} cells={props.grid.cells} studyId={v.study_id} />
          <GridPager id={v.study_id} grid={props.grid} />
        </section>
      ) : (
        ''
      )}
      <Exports id={v.study_id} />
    </Layout>
  )
}

function GridPager(props: { id: string; grid: GridPage }) {
  const { page, pages, prompts } = props.grid
  if (pages <= 1) return null
  const href = (p: number) => `/studies/${props.id}?page=${p}#grid-heading`
  return (
    <nav class="pager" aria-label="Prompt pages">
      {page > 1 ? (
        <a rel="prev" href={href(page - 1)}>
          ← Previous prompts
        </a>
      ) : (
        ''
      )}
      <span class="muted">
        Page {page} of {pages} · {formatInt(prompts)} prompts
      </span>
      {page < pages ? (
        <a rel="next" href={href(page + 1)}>
          More prompts →
        </a>
      ) : (
        ''
      )}
    </nav>
  )
}
