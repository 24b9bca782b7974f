import type { LeaderboardView } from '../src/arena/leaderboard.ts'
import type { LeaderboardSource } from '../src/arena/types.ts'
import type { SafeHtml } from '../src/render/markdown.ts'
import { formatUsd } from '../src/pricing/money.ts'
import { Layout } from './layout.tsx'
import { DateRangeFields } from './date-range-fields.tsx'
import { FilterIssues } from './filter-issues.tsx'
import { SafeMarkup } from './safe-html.tsx'
import { formatMs } from './format.ts'

/** Below this many votes the page says the intervals mean little (the API gives them all the same). */
const FEW_VOTES = 10

const SOURCE_TEXT: Record<LeaderboardSource, string> = {
  human: 'your votes',
  judge: 'LLM judges’ verdicts',
  all: 'your votes and LLM judges’ verdicts',
}

export interface LeaderboardPageProps {
  board: LeaderboardView
  source: LeaderboardSource
  axis: 'cost' | 'ttft'
  from?: string
  to?: string
  chart: SafeHtml | null
  issues: Array<{ path: string; message: string }>
}

const link = (p: LeaderboardPageProps, extra: Record<string, string>) => {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries({ source: p.source, from: p.from, to: p.to, axis: p.axis, ...extra }))
    if (v) q.set(k, v)
  return `/leaderboard?${q}`
}

/** Quality (Bradley-Terry on votes) beside measured cost and speed. */
export function LeaderboardPage(props: LeaderboardPageProps) {
  const b = props.board
  const tied = new Set(b.tied_with_leader)
  return (
    <Layout title="Leaderboard" active="leaderboard">
      <h1>Leaderboard</h1>
      <search>
        <form class="card toolbar" method="get" action="/leaderboard">
          <label>
            Votes
            <select name="source">
              {(['human', 'judge', 'all'] as const).map((s) => (
                <option value={s} selected={s === props.source}>
                  {SOURCE_TEXT[s]}
                </option>
              ))}
            </select>
          </label>
          <DateRangeFields from={props.from} to={props.to} />
          <input type="hidden" name="axis" value={props.axis} />
          <button type="submit" class="primary">
            Show
          </button>
        </form>
      </search>
      <FilterIssues issues={props.issues} />
      <section class="card" aria-labelledby="board-title">
        <h2 id="board-title">Ratings</h2>
        {b.targets.length === 0 ? (
          <p class="muted">
            No {SOURCE_TEXT[props.source]} in this period yet: vote on a run ("A is best"), or have a judge compare its
            answers.
          </p>
        ) : (
          // biome-ignore lint/a11y/useSemanticElements: a scroll box the keyboard can reach, as the summary table's
          <div class="table-scroll" role="region" aria-label="Leaderboard table" tabindex={0}>
            <table class="data leaderboard-table">
              <thead>
                <tr>
                  <th scope="col">Rank</th>
                  <th scope="col">Target</th>
                  <th scope="col">Rating</th>
                  <th scope="col">95% interval</th>
                  <th scope="col">Votes</th>
                  <th scope="col">Wins / losses / ties</th>
                  <th scope="col">Win rate</th>
                  <th scope="col">Median cost</th>
                  <th scope="col">Median TTFT</th>
                  <th scope="col">Pareto front</th>
                </tr>
              </thead>
              <tbody>
                {b.targets.map((t, i) => (
                  <tr data-target={t.target}>
                    <td>{i === 0 || tied.has(t.target) ? '1' : String(i + 1)}</td>
                    <th scope="row">
                      {t.label} <span class="muted target-id">{t.target}</span>
                      {tied.has(t.target) ? <span class="badge">tied with the leader</span> : ''}
                    </th>
                    <td>{t.rating.toFixed(0)}</td>
                    <td>
                      {t.ci95[0].toFixed(0)}–{t.ci95[1].toFixed(0)}
                    </td>
                    <td>{t.votes}</td>
                    <td>
                      {t.wins} / {t.losses} / {t.ties}
                    </td>
                    <td>{(t.win_rate * 100).toFixed(0)}%</td>
                    <td>{t.median_cost_usd === null ? 'unknown' : formatUsd(t.median_cost_usd)}</td>
                    <td>{t.median_ttft_ms === null ? 'unknown' : formatMs(t.median_ttft_ms)}</td>
                    <td>{t.pareto ? 'yes' : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <div class="leaderboard-note">
          <p>
            {b.votes} {b.votes === 1 ? 'vote' : 'votes'} counted ({SOURCE_TEXT[props.source]}
            {b.no_verdict ? `; ${b.no_verdict} judge comparisons without a verdict left out` : ''}). A vote for the best
            answer of a run counts as a win over every other answer of that run; a tie or "all bad" as a tie between all
            of them; a judge's verdict on a pair as one comparison. Method: {b.note}.
          </p>
          <p>
            How to read the intervals: a rating's 95% interval is where it lands on 95% of re-samplings of the votes.
            Two targets whose intervals overlap are not separated by these votes; they share a rank, and those
            overlapping the leader are marked tied with it. More votes narrow the intervals. Median cost and TTFT are
            measured over each target's finished answers in the voted runs.
          </p>
          {b.votes > 0 && b.votes < FEW_VOTES ? (
            <p class="notice" role="status">
              Only {b.votes} {b.votes === 1 ? 'vote' : 'votes'}: too few for the intervals to mean much (re-sampling so
              few votes gives nearly the same ratings every time). Treat the order as a first impression.
            </p>
          ) : (
            ''
          )}
        </div>
      </section>
      {props.chart ? (
        <section class="card" aria-labelledby="chart-title">
          <h2 id="chart-title">Quality against {props.axis === 'cost' ? 'cost' : 'speed'}</h2>
          <nav class="toolbar" aria-label="Chart axis">
            <a href={link(props, { axis: 'cost' })} aria-current={props.axis === 'cost' ? 'page' : undefined}>
              Against cost
            </a>
            <a href={link(props, { axis: 'ttft' })} aria-current={props.axis === 'ttft' ? 'page' : undefined}>
              Against TTFT
            </a>
          </nav>
          <SafeMarkup html={props.chart} />
        </section>
      ) : (
        ''
      )}
    </Layout>
  )
}
