import type { SpendReport } from '../src/storage/types.ts'
import { formatUsd } from '../src/pricing/money.ts'
import { Layout } from './layout.tsx'
import { formatInt } from './format.ts'
import { DateRangeFields } from './date-range-fields.tsx'
import { FilterIssues } from './filter-issues.tsx'

const PALETTE = ['#3b5bdb', '#e8590c', '#2f9e44', '#ae3ec9', '#1098ad', '#f08c00', '#d6336c', '#5c940d', '#868e96']

/** Cost per day, stacked by provider, as server-rendered SVG (no script, no remote asset). */
export function SpendChart(props: { report: SpendReport }) {
  const days = props.report.days
  const providers = props.report.providers.map((p) => p.provider)
  const color = (p: string) => PALETTE[providers.indexOf(p) % PALETTE.length]!
  const max = Math.max(0, ...days.map((d) => d.cost_usd ?? 0))
  if (days.length === 0 || max === 0) return <p class="muted">No priced requests in this period.</p>
  const W = 760,
    H = 240,
    left = 64,
    bottom = 28,
    top = 10
  const plotW = W - left - 8,
    plotH = H - bottom - top
  const step = plotW / days.length
  const barW = Math.min(48, Math.max(1, step * 0.8))
  const y = (usd: number) => top + plotH - (usd / max) * plotH
  const ticks = [0, 0.5, 1].map((f) => f * max)
  const labelEvery = Math.ceil(days.length / 8)
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg">
        <title id="chart-title">
          Cost per day by provider, {days[0]!.day} to {days[days.length - 1]!.day}; highest day {formatUsd(max)}
        </title>
        {ticks.map((t) => (
          <g>
            <line x1={left} x2={W - 8} y1={y(t)} y2={y(t)} class="grid" />
            <text x={left - 6} y={y(t) + 4} text-anchor="end" class="axis">
              {formatUsd(t)}
            </text>
          </g>
        ))}
        {days.map((d, i) => {
          let acc = 0
          return (
            <g>
              {providers.map((p) => {
                const v = d.providers[p] ?? 0
                if (v <= 0) return ''
                const y0 = y(acc)
                acc += v
                return (
                  <rect
                    x={left + i * step + (step - barW) / 2}
                    y={y(acc)}
                    width={barW}
                    height={Math.max(0.5, y0 - y(acc))}
                    fill={color(p)}
                  >
                    <title>{`${d.day} · ${p}: ${formatUsd(v)}`}</title>
                  </rect>
                )
              })}
              {i % labelEvery === 0 ? (
                <text x={left + i * step + step / 2} y={H - 8} text-anchor="middle" class="axis">
                  {d.day.slice(5)}
                </text>
              ) : (
                ''
              )}
            </g>
          )
        })}
      </svg>
      <figcaption class="legend">
        {providers.map((p) => (
          <span class="legend-item">
            <svg viewBox="0 0 10 10" width="10" height="10" aria-hidden="true">
              <rect width="10" height="10" fill={color(p)} />
            </svg>{' '}
            {p}
          </span>
        ))}
      </figcaption>
    </figure>
  )
}

export function SpendPage(props: {
  report: SpendReport
  from?: string
  to?: string
  issues: Array<{ path: string; message: string }>
}) {
  const r = props.report
  return (
    <Layout title="Spend" active="spend">
      <h1>Spend</h1>
      <form class="card toolbar" method="get" action="/spend">
        <DateRangeFields from={props.from} to={props.to} />
        <button type="submit" class="primary">
          Show
        </button>
        <a href="/spend">All time</a>
      </form>
      <FilterIssues issues={props.issues} />
      <div class="card">
        <p class="big-figure">
          <strong>{r.total.cost_usd === null ? 'Unknown cost' : formatUsd(r.total.cost_usd)}</strong> over{' '}
          {formatInt(r.total.requests)} requests
          {r.total.unknown_cost_requests ? (
            <span class="muted"> ({formatInt(r.total.unknown_cost_requests)} with unknown cost, not included)</span>
          ) : (
            ''
          )}
        </p>
        <SpendChart report={r} />
      </div>
      <div class="card">
        <h2>Per provider</h2>
        <section class="table-scroll" aria-label="Spend per provider" tabindex={0}>
          <table class="data">
            <thead>
              <tr>
                <th scope="col">Provider</th>
                <th scope="col">Cost</th>
                <th scope="col">Requests</th>
                <th scope="col">Unknown cost</th>
              </tr>
            </thead>
            <tbody>
              {r.providers.map((p) => (
                <tr>
                  <th scope="row">{p.provider}</th>
                  <td>{formatUsd(p.cost_usd)}</td>
                  <td>{formatInt(p.requests)}</td>
                  <td>{formatInt(p.unknown_cost_requests)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
      <div class="card">
        <h2>Per model</h2>
        <section class="table-scroll" aria-label="Spend per model" tabindex={0}>
          <table class="data">
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Cost</th>
                <th scope="col">Requests</th>
                <th scope="col">Average per request</th>
                <th scope="col">Unknown cost</th>
              </tr>
            </thead>
            <tbody>
              {r.models.map((m) => (
                <tr>
                  <th scope="row">
                    {m.label} <span class="muted target-model">{m.target}</span>
                  </th>
                  <td>{formatUsd(m.cost_usd)}</td>
                  <td>{formatInt(m.requests)}</td>
                  <td>{m.avg_cost_per_request_usd === null ? '—' : formatUsd(m.avg_cost_per_request_usd)}</td>
                  <td>{formatInt(m.unknown_cost_requests)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
    </Layout>
  )
}
