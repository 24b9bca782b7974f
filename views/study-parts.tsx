import type { CellView, StudyView, TargetSummary } from '../src/studies/types.ts'
import type { WhatIfRow } from '../src/web/study-figures.ts'
import { formatUsd } from '../src/pricing/money.ts'
import { ratioSentence } from '../src/studies/ratio-sentence.ts'
import { formatInt, formatMs, formatRate } from './format.ts'

// Parts shared by the study page and the self-contained report: they take plain data and never link outside
// the page unless `links` says so (the mailed report has no server to link to).

const STUDY_STATUS_TEXT: Record<StudyView['status'], string> = {
  running: 'Running',
  done: 'Done',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted',
}

/** "Paused", "Stopped at the budget", ... : the status a person reads. */
export function statusText(view: Pick<StudyView, 'status' | 'stop_reason'>): string {
  if (view.status !== 'interrupted') return STUDY_STATUS_TEXT[view.status]
  if (view.stop_reason === 'paused') return 'Paused'
  if (view.stop_reason === 'budget') return 'Stopped at the budget'
  if (view.stop_reason === 'error') return 'Stopped: a finished cell could not be saved'
  return 'Interrupted (the server stopped)'
}

/** "1 prompt × 3 targets × 2 repeats": the shape of a study. */
export function studyShape(v: Pick<StudyView, 'prompt_count' | 'targets' | 'repeats'>): string {
  const n = (count: number, word: string) => `${formatInt(count)} ${word}${count === 1 ? '' : 's'}`
  return `${n(v.prompt_count, 'prompt')} × ${n(v.targets.length, 'target')} × ${n(v.repeats, 'repeat')}`
}

function formatSeconds(s: number): string {
  return formatMs(s * 1000)
}

export function StudyProgressBlock(props: { view: StudyView }) {
  const v = props.view
  const p = v.progress
  const pct = p.total ? Math.floor((100 * p.done) / p.total) : 0
  return (
    <div class="study-progress">
      <label for="study-progress-bar">
        {formatInt(p.done)} of {formatInt(p.total)} cells done ({pct}%)
      </label>
      <progress id="study-progress-bar" max={p.total || 1} value={p.done}>
        {pct}%
      </progress>
      <dl class="study-figures">
        <div>
          <dt>Status</dt>
          <dd class={`status-${v.status}`}>{statusText(v)}</dd>
        </div>
        <div>
          <dt>Errors</dt>
          <dd>{formatInt(p.errors)}</dd>
        </div>
        <div>
          <dt>Spend so far</dt>
          <dd>
            <SpendSoFar view={v} />
          </dd>
        </div>
        <div>
          <dt>Time left</dt>
          <dd>{v.status === 'running' ? (v.eta_s === null ? 'estimating…' : formatSeconds(v.eta_s)) : '—'}</dd>
        </div>
        {v.max_usd !== null ? (
          <div>
            <dt>Budget</dt>
            <dd>{formatUsd(v.max_usd)}</dd>
          </div>
        ) : (
          ''
        )}
      </dl>
    </div>
  )
}

function SpendSoFar(props: { view: StudyView }) {
  const v = props.view
  const unknown = v.spend_unknown_cells
  if (v.spend_so_far_usd === null) {
    return unknown ? <span class="cost-unknown">unknown ({formatInt(unknown)} cells)</span> : <span>none yet</span>
  }
  return (
    <>
      {formatUsd(v.spend_so_far_usd)}
      {unknown ? <span class="muted"> + {formatInt(unknown)} cells of unknown cost</span> : ''}
    </>
  )
}

function errorsText(t: TargetSummary): string {
  const kinds = Object.entries(t.errors_by_kind)
    .filter(([, n]) => n)
    .map(([kind, n]) => `${kind} ${n}`)
  return kinds.length ? `${formatInt(t.errors)} (${kinds.join(', ')})` : formatInt(t.errors)
}

/** A cost figure: unknown costs are said with their count, never shown as $0. */
function CostFigure(props: { t: TargetSummary; pick: 'total' | 'mean' | 'median' | 'p90' }) {
  const c = props.t.cost_usd
  // No finished cell yet: nothing to say; finished cells without a known cost: unknown, never $0.
  if (!c) return props.t.cost_unknown ? <span class="cost-unknown">unknown</span> : <>—</>
  return <>{formatUsd(c[props.pick])}</>
}

const stat = (v: number | null) => (v === null ? '—' : formatMs(v))

/** One row per target: the list of figures. */
export function StudySummaryTable(props: { view: StudyView }) {
  const targets = props.view.summary.targets
  const anyChecks = targets.some((t) => t.pass_rate !== null)
  return (
    <section class="table-scroll" aria-label="Summary per target" tabindex={0}>
      <table class="data study-summary">
        <thead>
          <tr>
            <th scope="col">Target</th>
            <th scope="col">Cells</th>
            <th scope="col">OK</th>
            <th scope="col">Errors</th>
            <th scope="col">Cost total</th>
            <th scope="col">Mean</th>
            <th scope="col">Median</th>
            <th scope="col">p90</th>
            <th scope="col">TTFT median</th>
            <th scope="col">TTFT p90</th>
            <th scope="col">Latency median</th>
            <th scope="col">Latency p90</th>
            <th scope="col">Output tokens</th>
            <th scope="col">Tokens/s</th>
            {anyChecks ? <th scope="col">Pass rate</th> : ''}
          </tr>
        </thead>
        <tbody>
          {targets.map((t) => (
            <tr data-target={t.target}>
              <th scope="row">
                {t.label}
                {t.label !== t.target ? <span class="muted target-model"> {t.target}</span> : ''}
              </th>
              <td>{formatInt(t.cells)}</td>
              <td>{formatInt(t.ok)}</td>
              <td>{errorsText(t)}</td>
              <td>
                <CostFigure t={t} pick="total" />
                {t.cost_unknown ? (
                  <span class="muted cost-unknown-count">
                    {t.cost_usd
                      ? ` + ${formatInt(t.cost_unknown)} unknown, not included`
                      : ` (${formatInt(t.cost_unknown)} ${t.cost_unknown === 1 ? 'cell' : 'cells'})`}
                  </span>
                ) : (
                  ''
                )}
              </td>
              <td>
                <CostFigure t={t} pick="mean" />
              </td>
              <td>
                <CostFigure t={t} pick="median" />
              </td>
              <td>
                <CostFigure t={t} pick="p90" />
              </td>
              <td>{stat(t.ttft_ms.median)}</td>
              <td>{stat(t.ttft_ms.p90)}</td>
              <td>{stat(t.total_ms.median)}</td>
              <td>{stat(t.total_ms.p90)}</td>
              <td>{t.output_tokens.median === null ? '—' : formatInt(t.output_tokens.median)}</td>
              <td>{formatRate(t.output_tokens_per_s.median)}</td>
              {anyChecks ? (
                <td>
                  {t.pass_rate === null
                    ? '—'
                    : `${Math.round(t.pass_rate * 100)}% (${formatInt(t.passed)}/${formatInt(t.checked)})`}
                </td>
              ) : (
                ''
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

export function RatioSentences(props: { view: StudyView }) {
  const ratios = props.view.summary.cost_ratios
  const labels = new Map(props.view.summary.targets.map((t) => [t.target, t.label]))
  const labelOf = (t: string) => labels.get(t) ?? t
  if (ratios.length === 0) {
    return <p class="muted ratio-none">No paired cost ratio: it needs at least two targets with a known cost.</p>
  }
  return (
    <ul class="ratios">
      {ratios.map((r) => (
        <li>{ratioSentence(r, labelOf)}</li>
      ))}
    </ul>
  )
}

const perMillion = (p: { input: number; cached_input: number; output: number }) =>
  `in $${p.input} · cached $${p.cached_input} · out $${p.output}`

export function WhatIfTables(props: { rows: WhatIfRow[] }) {
  if (props.rows.length === 0) {
    return <p class="muted">No target of this study has a price that depends on the hour or the weekday.</p>
  }
  return (
    <>
      {props.rows.map((row) => (
        <section class="table-scroll what-if" aria-label={`Price windows of ${row.label}`} tabindex={0}>
          <table class="data">
            <caption>
              {row.label}: the same {formatInt(row.whatIf.priced_cells)} requests in each price window
              {row.actual_usd !== null ? ` (as run: ${formatUsd(row.actual_usd)})` : ''}
              {row.whatIf.unpriced_cells ? `; ${formatInt(row.whatIf.unpriced_cells)} cells without token counts` : ''}
            </caption>
            <thead>
              <tr>
                <th scope="col">Window (UTC)</th>
                <th scope="col">Price per 1M tokens</th>
                <th scope="col">Total</th>
                <th scope="col">Per request</th>
                <th scope="col">Cells run in it</th>
              </tr>
            </thead>
            <tbody>
              {row.whatIf.windows.map((w) => (
                <tr>
                  <th scope="row">{w.label}</th>
                  <td>{perMillion(w.price)}</td>
                  <td>{formatUsd(w.total_usd)}</td>
                  <td>{formatUsd(w.mean_usd)}</td>
                  <td>{formatInt(w.cells_run)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
    </>
  )
}

/** The cells of one prompt × target (its repeats), as the grid shows them. */
function gridCellText(cells: CellView[]) {
  const finished = cells.filter((c) => c.status === 'ok' || c.status === 'error')
  const ok = finished.filter((c) => c.status === 'ok').length
  const errors = finished.filter((c) => c.status === 'error')
  const kinds = [...new Set(errors.map((c) => c.error?.kind ?? 'error'))]
  const pending = cells.filter((c) => c.status === 'pending').length
  const cancelled = cells.filter((c) => c.status === 'cancelled').length
  const range = (values: Array<number | null>, fmt: (v: number) => string) => {
    const known = values.filter((v): v is number => v !== null)
    if (known.length === 0) return null
    const lo = Math.min(...known)
    const hi = Math.max(...known)
    return lo === hi ? fmt(lo) : `${fmt(lo)}–${fmt(hi)}`
  }
  const costUnknown = finished.filter((c) => c.cost_usd === null).length
  const cost = range(
    finished.map((c) => c.cost_usd),
    (v) => formatUsd(v),
  )
  const passes = finished.filter((c) => c.expected === 'pass').length
  const fails = finished.filter((c) => c.expected === 'fail').length
  const first = cells.find((c) => c.status === 'ok') ?? cells.find((c) => c.status === 'error')
  return {
    status:
      finished.length === 0 ? (pending ? 'pending' : cancelled ? 'cancelled' : '—') : errors.length ? 'error' : 'ok',
    outcome: [
      ok ? `${ok} ok` : '',
      errors.length ? `${errors.length} ${kinds.join('/')}` : '',
      pending ? `${pending} pending` : '',
      cancelled ? `${cancelled} cancelled` : '',
    ]
      .filter(Boolean)
      .join(', '),
    check: passes || fails ? (fails ? `fail ${fails}/${passes + fails}` : `pass ${passes}/${passes}`) : null,
    checkFailed: fails > 0,
    cost: cost === null ? (finished.length ? 'unknown' : null) : cost,
    costUnknown: cost !== null && costUnknown ? costUnknown : 0,
    ttft: range(
      finished.map((c) => c.ttft_ms),
      (v) => formatMs(v),
    ),
    excerpt: first?.status === 'error' ? (first.error?.message ?? 'error') : (first?.answer ?? ''),
  }
}

const GRID_EXCERPT = 160

function clip(text: string, max: number): string {
  const chars = [...text]
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : text
}

/**
 * Rows are prompts, columns targets; a cell holds that prompt's repeats on that target. Every string in it
 * (prompt, answer, error) is model or user text, escaped by JSX. With `studyId`, a row links to the prompt's
 * full answers side by side.
 */
export function PromptGrid(props: {
  targets: Array<{ target: string; label: string }>
  cells: CellView[]
  studyId?: string
}) {
  const rows = new Map<number, { prompt: string; byTarget: Map<string, CellView[]> }>()
  for (const cell of props.cells) {
    let row = rows.get(cell.prompt_index)
    if (!row) {
      row = { prompt: cell.prompt, byTarget: new Map() }
      rows.set(cell.prompt_index, row)
    }
    const list = row.byTarget.get(cell.target)
    if (list) list.push(cell)
    else row.byTarget.set(cell.target, [cell])
  }
  return (
    <section class="table-scroll prompt-grid" aria-label="Answers per prompt and target" tabindex={0}>
      <table class="data grid-table">
        <thead>
          <tr>
            <th scope="col">Prompt</th>
            {props.targets.map((t) => (
              <th scope="col">{t.label}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {[...rows].map(([index, row]) => (
            <tr data-prompt={index}>
              <th scope="row" class="grid-prompt">
                <span class="muted">#{index + 1}</span>{' '}
                {props.studyId ? (
                  <a href={`/studies/${props.studyId}/prompts/${index}`}>{clip(row.prompt, GRID_EXCERPT)}</a>
                ) : (
                  clip(row.prompt, GRID_EXCERPT)
                )}
              </th>
              {props.targets.map((t) => {
                const g = gridCellText(row.byTarget.get(t.target) ?? [])
                return (
                  <td class={`grid-cell grid-${g.status}`} data-target={t.target}>
                    <span class={`badge status-${g.status}`}>{g.outcome || g.status}</span>
                    {g.check ? (
                      <span class={`badge ${g.checkFailed ? 'check-fail' : 'check-pass'}`}>{g.check}</span>
                    ) : (
                      ''
                    )}
                    <span class="grid-figures">
                      {g.cost === null ? (
                        ''
                      ) : g.cost === 'unknown' ? (
                        <span class="cost-unknown">cost unknown</span>
                      ) : (
                        g.cost
                      )}
                      {g.costUnknown ? <span class="muted"> +{g.costUnknown} unknown</span> : ''}
                      {g.ttft ? ` · TTFT ${g.ttft}` : ''}
                    </span>
                    <span class="grid-excerpt">{clip(g.excerpt, GRID_EXCERPT)}</span>
                  </td>
                )
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
