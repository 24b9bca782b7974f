import type { HistoryArena } from '../src/web/history-arena.ts'
import { ImageThumbs } from './image-thumbs.tsx'
import type { RunListPage, RunListItem } from '../src/storage/types.ts'
import { formatUsd } from '../src/pricing/money.ts'
import { Layout } from './layout.tsx'
import { formatMs } from './format.ts'
import { DateRangeFields } from './date-range-fields.tsx'
import { FilterIssues } from './filter-issues.tsx'

export interface HistoryFilters {
  q?: string
  target?: string
  from?: string
  to?: string
}

/** A UTC timestamp people can read and sort: 2026-11-28 13:05 UTC. */
export function formatWhen(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`
}

const query = (f: HistoryFilters, extra: Record<string, string> = {}) => {
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries({ ...f, ...extra })) if (v) p.set(k, v)
  const s = p.toString()
  return s ? `?${s}` : ''
}

/** The prompt cell's common part, blind or not: the link to the run, its images, its turn. */
function PromptLink({ run: r }: { run: RunListItem }) {
  return (
    <>
      <a href={`/runs/${r.run_id}`}>
        {r.prompt}
        {r.prompt_truncated ? '…' : ''}
      </a>
      <ImageThumbs images={r.images} small />
      {r.turn > 1 ? <span class="badge">turn {r.turn}</span> : ''}
    </>
  )
}

function RunRow(props: { run: RunListItem; arena?: HistoryArena }) {
  const r = props.run
  const a = props.arena
  if (a?.hidden) {
    // A blind run before its vote: which models answered, and their figures, stay on the run's page until then.
    return (
      <tr data-run-id={r.run_id}>
        <td data-value={r.created_at}>{formatWhen(r.created_at)}</td>
        <th scope="row" class="prompt-cell">
          <PromptLink run={r} />
          <span class="badge">blind, not voted yet</span>
        </th>
        <td>{r.targets.length} answers, hidden until your vote</td>
        <td>hidden</td>
        <td>hidden</td>
        <td>hidden</td>
      </tr>
    )
  }
  return (
    <tr data-run-id={r.run_id}>
      <td data-value={r.created_at}>{formatWhen(r.created_at)}</td>
      <th scope="row" class="prompt-cell">
        <PromptLink run={r} />
        {r.study_id ? (
          <a class="badge study-badge" href={`/studies/${r.study_id}`}>
            study
          </a>
        ) : (
          ''
        )}
        {r.status !== 'done' ? <span class={`badge status-${r.status}`}>{r.status}</span> : ''}
        {a?.vote ? <span class="badge vote-badge">{`${a.blind ? 'blind vote' : 'vote'}: ${a.vote}`}</span> : ''}
        {a?.judges ? <span class="badge">{`judged (${a.judges})`}</span> : ''}
      </th>
      <td>{r.targets.map((t) => t.label).join(', ')}</td>
      <td data-value={r.cost_usd ?? ''}>
        {r.cost_usd === null ? <span class="cost-unknown">unknown</span> : formatUsd(r.cost_usd)}
        {r.cost_unknown > 0 && r.cost_usd !== null ? <span class="muted"> + {r.cost_unknown} unknown</span> : ''}
      </td>
      <td>{r.cheapest ? `${r.cheapest.label} (${formatUsd(r.cheapest.cost_usd)})` : '—'}</td>
      <td>{r.fastest ? `${r.fastest.label} (${formatMs(r.fastest.total_ms)})` : '—'}</td>
    </tr>
  )
}

export function HistoryPage(props: {
  page: RunListPage
  filters: HistoryFilters
  targets: string[]
  issues: Array<{ path: string; message: string }>
  notice?: string
  /** Blind runs and votes of the listed runs (src/web/history-arena.ts). */
  arena?: Map<string, HistoryArena>
}) {
  const { page, filters } = props
  return (
    <Layout title="History" active="history">
      <h1>History</h1>
      <search>
        <form class="card toolbar" method="get" action="/history">
          <label>
            Search prompts
            <input type="search" name="q" value={filters.q ?? ''} placeholder="words or &quot;a phrase&quot;" />
          </label>
          <label>
            Target
            <select name="target">
              <option value="">any</option>
              {props.targets.map((t) => (
                <option value={t} selected={t === filters.target}>
                  {t}
                </option>
              ))}
            </select>
          </label>
          <DateRangeFields from={filters.from} to={filters.to} />
          <button type="submit" class="primary">
            Filter
          </button>
          <a href="/history">Clear</a>
          <span class="spacer"></span>
          <a href={`/api/runs/export.json${query(filters)}`} download>
            Export JSON
          </a>
          <a href={`/api/runs/export.csv${query(filters)}`} download>
            Export CSV
          </a>
        </form>
      </search>
      <FilterIssues issues={props.issues} />
      {props.notice ? (
        <p class="notice" role="status">
          {props.notice}
        </p>
      ) : (
        ''
      )}
      <div class="card">
        {page.runs.length === 0 ? (
          <p class="muted">
            No runs
            {filters.q || filters.target || filters.from || filters.to
              ? ' match these filters'
              : ' yet: compare something first'}
            .
          </p>
        ) : (
          <div class="table-scroll">
            <table class="data history-table">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Prompt</th>
                  <th scope="col">Targets</th>
                  <th scope="col">Total cost</th>
                  <th scope="col">Cheapest</th>
                  <th scope="col">Fastest</th>
                </tr>
              </thead>
              <tbody>
                {page.runs.map((r) => (
                  <RunRow run={r} arena={props.arena?.get(r.run_id)} />
                ))}
              </tbody>
            </table>
          </div>
        )}
        <nav class="pager" aria-label="Pages">
          {page.page && page.page > 1 ? (
            <a rel="prev" href={`/history${query(filters, { page: String(page.page - 1) })}`}>
              ← Newer
            </a>
          ) : (
            ''
          )}
          {page.page && page.pages ? (
            <span class="muted">
              Page {page.page} of {page.pages} · {page.total?.toLocaleString('en-US')} runs
            </span>
          ) : (
            ''
          )}
          {page.page && page.pages && page.page < page.pages ? (
            <a rel="next" href={`/history${query(filters, { page: String(page.page + 1) })}`}>
              Older →
            </a>
          ) : (
            ''
          )}
        </nav>
      </div>
      <form class="card toolbar" method="post" action="/history/import" enctype="multipart/form-data">
        <label>
          Import a JSON export
          <input type="file" name="file" accept="application/json,.json" required />
        </label>
        <button type="submit">Import</button>
      </form>
    </Layout>
  )
}
