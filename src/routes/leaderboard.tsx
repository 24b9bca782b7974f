import { Hono } from 'hono'
import { z } from 'zod'
import type { AppContext } from '../context.ts'
import { apiError } from '../http/api-error.ts'
import { queryObject, spendQuerySchema } from '../storage/run-query.ts'
import { buildLeaderboard, leaderboardJson, type LeaderboardView } from '../arena/leaderboard.ts'
import type { LeaderboardSource } from '../arena/types.ts'
import { leaderboardChart } from '../charts/leaderboard-chart.ts'
import { issuesOf } from './compare-input.ts'
import { LeaderboardPage } from '../../views/leaderboard-page.tsx'
import { Layout } from '../../views/layout.tsx'

const SourceSchema = z.enum(['human', 'judge', 'all']).default('human')
const AxisSchema = z.enum(['cost', 'ttft']).default('cost')

type Parsed =
  | { ok: true; source: LeaderboardSource; axis: 'cost' | 'ttft'; from?: Date; to?: Date }
  | { ok: false; issues: Array<{ path: string; message: string }> }

/** `source` (default human), `axis` (the page's chart), and the period `from` / `to` as history's filters take it. */
function parseQuery(raw: Record<string, string | string[]>): Parsed {
  const { source, axis, ...period } = raw
  const s = SourceSchema.safeParse(source)
  const a = AxisSchema.safeParse(axis)
  const p = spendQuerySchema.safeParse(period)
  const issues = [
    ...(s.success ? [] : issuesOf(s.error).map((i) => ({ ...i, path: 'source' }))),
    ...(a.success ? [] : issuesOf(a.error).map((i) => ({ ...i, path: 'axis' }))),
    ...(p.success ? [] : issuesOf(p.error)),
  ]
  if (!s.success || !a.success || !p.success) return { ok: false, issues }
  return { ok: true, source: s.data, axis: a.data, from: p.data.from, to: p.data.to }
}

/** GET /api/leaderboard?from&to&source=human|judge|all and the /leaderboard page. */
export function leaderboardRoutes(ctx: AppContext): Hono {
  const app = new Hono()

  const board = async (q: { source: LeaderboardSource; from?: Date; to?: Date }): Promise<LeaderboardView> => {
    const arena = ctx.arena!
    const votes = await arena.votes(q)
    const figures = await arena.resultFigures([...new Set(votes.map((v) => v.run_id))])
    const catalog = ctx.catalog()
    return buildLeaderboard({ votes, figures, labelOf: (t) => catalog.find(t)?.model.label })
  }

  app.get('/api/leaderboard', async (c) => {
    if (!ctx.arena) return apiError(c, 503, 'the leaderboard needs the history database')
    const q = parseQuery(queryObject(c.req.queries()))
    if (!q.ok) return apiError(c, 422, 'invalid query', q.issues)
    return c.json(leaderboardJson(await board(q)))
  })

  app.get('/leaderboard', async (c) => {
    if (!ctx.arena) {
      return c.html(
        <Layout title="Leaderboard" active="leaderboard">
          <h1>Leaderboard</h1>
          <p class="card">The leaderboard needs the history database, which this server does not keep.</p>
        </Layout>,
        503,
      )
    }
    const raw = queryObject(c.req.queries())
    const text = (k: string) => (typeof raw[k] === 'string' ? (raw[k] as string) : undefined)
    const q = parseQuery(raw)
    const source = q.ok ? q.source : 'human'
    const axis = q.ok ? q.axis : 'cost'
    const view = await board(q.ok ? q : { source })
    const ttft = new Set(view.pareto_ttft)
    const chart =
      view.targets.length > 0
        ? leaderboardChart(
            view.targets.map((t) => ({
              target: t.target,
              label: t.label,
              rating: t.rating,
              ci95: t.ci95,
              x: axis === 'cost' ? t.median_cost_usd : t.median_ttft_ms,
              pareto: axis === 'cost' ? t.pareto : ttft.has(t.target),
            })),
            axis,
          )
        : null
    return c.html(
      <LeaderboardPage
        board={view}
        source={source}
        axis={axis}
        from={text('from')}
        to={text('to')}
        chart={chart}
        issues={q.ok ? [] : q.issues}
      />,
      q.ok ? 200 : 422,
    )
  })

  return app
}
