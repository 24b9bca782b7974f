import { picoToUsd } from '../pricing/money.ts'
import { splitTarget } from '../providers/catalog.ts'
import type { StatementCache } from './statements.ts'
import type { SpendFigures, SpendQuery, SpendReport } from './types.ts'

const MAX_FILLED_DAYS = 1000
const DAY_MS = 86_400_000
/**
 * SQLite's sum() over INTEGER throws "integer overflow" past 2^63 pico-dollars (~$9.2M): two costs of $9M
 * broke /spend for good. Each amount is summed in two parts, whole nano-dollars and the pico remainder,
 * which cannot overflow before ~10^9 rows of the largest storable amount; BigInt joins them exactly.
 */
const SPLIT = 1_000_000_000

interface SplitGroup {
  requests: bigint
  priced: bigint
  high: bigint
  low: bigint
}

interface Group {
  requests: bigint
  priced: bigint
  pico: bigint
}

/**
 * Spend per provider, per model (target) and per UTC day. One pass over a covering index groups by day and
 * target in SQL, summing integer pico-dollars read as BigInt (in two parts, see SPLIT), so every total is
 * exact; the rest is folded here. Targets still streaming are left out; interrupted ones count as requests
 * of unknown cost.
 */
export function spendReport(sql: StatementCache, query: SpendQuery): SpendReport {
  const clauses = ["status <> 'running'"]
  const params: Record<string, number> = {}
  if (query.from) {
    clauses.push('created_at >= @from')
    params.from = query.from.getTime()
  }
  if (query.to) {
    clauses.push('created_at < @to')
    params.to = query.to.getTime()
  }
  const rows = sql
    .get(
      `SELECT created_at / ${DAY_MS} AS day, target, provider, count(*) AS requests, count(cost_pico) AS priced,
        coalesce(sum(cost_pico / ${SPLIT}), 0) AS high, coalesce(sum(cost_pico % ${SPLIT}), 0) AS low
      FROM results WHERE ${clauses.join(' AND ')} GROUP BY day, target`,
    )
    .safeIntegers(true)
    .all(params) as Array<SplitGroup & { day: bigint; target: string; provider: string }>
  const label = sql.get('SELECT label FROM results WHERE target = ? ORDER BY run_id DESC LIMIT 1').pluck()
  const groups = rows.map((split) => ({
    ...split,
    day: Number(split.day),
    pico: split.high * BigInt(SPLIT) + split.low,
  }))
  const labels = new Map([...new Set(groups.map((g) => g.target))].map((t) => [t, label.get(t) as string]))
  return foldSpend(query, groups, labels)
}

/** Sums of one target's finished results on one UTC day (days since the epoch), as a database groups them. */
export interface SpendGroup extends Group {
  day: number
  target: string
  provider: string
}

/**
 * The report from per day and target groups: totals per provider, model and day, in BigInt throughout.
 * `labels` holds each target's most recent label.
 */
export function foldSpend(
  query: SpendQuery,
  rows: ReadonlyArray<SpendGroup>,
  labels: Map<string, string>,
): SpendReport {
  const targets = new Map<string, Group & { provider: string }>()
  const providers = new Map<string, Group>()
  const days = new Map<string, { all: Group; providers: Map<string, bigint> }>()
  const total = zero()
  for (const row of rows) {
    const t = targets.get(row.target) ?? { ...zero(), provider: row.provider }
    accumulate(t, row)
    targets.set(row.target, t)
    add(providers, row.provider, row)
    accumulate(total, row)
    const key = new Date(Number(row.day) * DAY_MS).toISOString().slice(0, 10)
    const day = days.get(key) ?? { all: zero(), providers: new Map<string, bigint>() }
    accumulate(day.all, row)
    day.providers.set(row.provider, (day.providers.get(row.provider) ?? 0n) + row.pico)
    days.set(key, day)
  }
  return {
    from: query.from?.toISOString() ?? null,
    to: query.to?.toISOString() ?? null,
    total: figures(total),
    providers: [...providers]
      .map(([provider, g]) => ({ provider, ...figures(g) }))
      .sort((a, b) => (b.cost_usd ?? -1) - (a.cost_usd ?? -1) || a.provider.localeCompare(b.provider)),
    models: [...targets]
      .map(([target, g]) => ({
        target,
        provider: g.provider,
        model: splitTarget(target)?.model ?? target,
        label: labels.get(target) ?? target,
        ...figures(g),
        avg_cost_per_request_usd: g.priced === 0n ? null : picoToUsd(divRound(g.pico, g.priced)),
      }))
      .sort((a, b) => (b.cost_usd ?? -1) - (a.cost_usd ?? -1) || a.target.localeCompare(b.target)),
    days: dayRange(query, [...days.keys()]).map((day) => {
      const d = days.get(day)
      const byProvider = Object.fromEntries([...(d?.providers ?? [])].map(([p, pico]) => [p, picoToUsd(pico)]))
      return { day, ...figures(d?.all ?? zero()), providers: byProvider }
    }),
  }
}

const zero = (): Group => ({ requests: 0n, priced: 0n, pico: 0n })

function accumulate(into: Group, g: Group): void {
  into.requests += g.requests
  into.priced += g.priced
  into.pico += g.pico
}

function add(map: Map<string, Group>, key: string, g: Group): void {
  const into = map.get(key) ?? zero()
  accumulate(into, g)
  map.set(key, into)
}

function figures(g: Group): SpendFigures {
  return {
    cost_usd: g.priced === 0n && g.requests > 0n ? null : picoToUsd(g.pico),
    requests: Number(g.requests),
    priced_requests: Number(g.priced),
    unknown_cost_requests: Number(g.requests - g.priced),
  }
}

/** Nearest integer of a / b for non-negative a, positive b. */
const divRound = (a: bigint, b: bigint) => (2n * a + b) / (2n * b)

/** Every UTC day of the period (for a chart without holes), or only the days with data when it is huge. */
function dayRange(query: SpendQuery, present: string[]): string[] {
  const sorted = [...present].sort()
  const first = query.from ? query.from.toISOString().slice(0, 10) : sorted[0]
  const last = query.to ? new Date(query.to.getTime() - 1).toISOString().slice(0, 10) : sorted[sorted.length - 1]
  if (!first || !last) return sorted
  const start = Date.parse(`${first}T00:00:00Z`)
  const end = Date.parse(`${last}T00:00:00Z`)
  const span = (end - start) / DAY_MS
  if (span < 0 || span >= MAX_FILLED_DAYS) return sorted
  const days: string[] = []
  for (let t = start; t <= end; t += DAY_MS) days.push(new Date(t).toISOString().slice(0, 10))
  return days
}
