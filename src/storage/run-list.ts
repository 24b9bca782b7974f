import { picoToUsd } from '../pricing/money.ts'
import { decodeCursor, encodeCursor, filterSql, type Cursor } from './run-filter.ts'
import type { StatementCache } from './statements.ts'
import { imageRefsOf } from './run-images.ts'
import type { RunListQuery, RunListPage, RunStatus, RunListItem, StoredTargetStatus } from './types.ts'

const PROMPT_HEAD = 300

interface ListRow {
  seq: number
  id: string
  created_at: number
  status: RunStatus
  turn: number
  parent_id: string | null
  conversation_id: string
  prompt: string
  truncated: number
  study_id: string | null
}

interface TargetRow {
  run_id: string
  target: string
  label: string
  status: StoredTargetStatus
  cost_pico: bigint | null
  total_ms: number | null
}

const TARGETS = `SELECT run_id, target, label, status, cost_pico, total_ms FROM results
  WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY run_id, idx`

/** Newest first. Keyset (`cursor`) pages stay fast however deep; `page` also counts the total. */
export function listRuns(sql: StatementCache, query: RunListQuery): RunListPage {
  const cursor: Cursor | undefined = query.cursor ? (decodeCursor(query.cursor) ?? undefined) : undefined
  if (query.cursor && !cursor) throw new RangeError('invalid cursor')
  const pageMode = !cursor && query.page !== undefined
  const offset = pageMode ? (query.page! - 1) * query.limit : 0
  const { from, key, where, params } = filterSql(query, cursor)
  const rows = sql
    .get(
      `SELECT r.seq, r.id, r.created_at, r.status, r.turn, r.parent_id, r.conversation_id, r.study_id,
        substr(r.prompt, 1, ${PROMPT_HEAD}) AS prompt, length(r.prompt) > ${PROMPT_HEAD} AS truncated
      FROM ${from} ${where} ORDER BY ${key} DESC LIMIT @limit OFFSET @offset`,
    )
    .all({ ...params, limit: query.limit + 1, offset }) as ListRow[]
  const more = rows.length > query.limit
  const pageRows = more ? rows.slice(0, query.limit) : rows
  const last = pageRows[pageRows.length - 1]
  const page: RunListPage = {
    runs: summaries(sql, pageRows),
    next_cursor: more && last ? encodeCursor({ seq: last.seq }) : null,
  }
  if (pageMode) {
    const count = filterSql(query)
    const total = (sql.get(`SELECT count(*) AS n FROM ${count.from} ${count.where}`).get(count.params) as { n: number })
      .n
    page.page = query.page
    page.total = total
    page.pages = Math.max(1, Math.ceil(total / query.limit))
  }
  return page
}

function summaries(sql: StatementCache, rows: ListRow[]): RunListItem[] {
  if (rows.length === 0) return []
  // BigInt pico-dollars: sums stay exact.
  const targets = sql
    .get(TARGETS)
    .safeIntegers(true)
    .all(JSON.stringify(rows.map((r) => r.id))) as TargetRow[]
  const byRun = new Map<string, TargetRow[]>()
  for (const t of targets) byRun.set(t.run_id, [...(byRun.get(t.run_id) ?? []), t])
  const images = imageRefsOf(
    sql,
    rows.map((r) => r.id),
  )
  return rows.map((r) => {
    const item = summary(r, byRun.get(r.id) ?? [])
    const refs = images.get(r.id)
    const withRefs = refs ? { ...item, images: refs } : item
    return r.study_id ? { ...withRefs, study_id: r.study_id } : withRefs
  })
}

function summary(r: ListRow, targets: TargetRow[]): RunListItem {
  let known = 0n
  let anyKnown = false
  let unknown = 0
  let cheapest: TargetRow | null = null
  let fastest: TargetRow | null = null
  for (const t of targets) {
    if (t.cost_pico === null) unknown++
    else {
      known += t.cost_pico
      anyKnown = true
    }
    if (t.status !== 'ok') continue
    if (t.cost_pico !== null && (cheapest === null || t.cost_pico < cheapest.cost_pico!)) cheapest = t
    if (t.total_ms !== null && (fastest === null || t.total_ms < fastest.total_ms!)) fastest = t
  }
  return {
    run_id: r.id,
    created_at: new Date(r.created_at).toISOString(),
    status: r.status,
    turn: r.turn,
    parent_id: r.parent_id,
    conversation_id: r.conversation_id,
    prompt: r.prompt,
    prompt_truncated: r.truncated === 1,
    targets: targets.map((t) => ({
      target: t.target,
      label: t.label,
      status: t.status,
      cost_usd: t.cost_pico === null ? null : picoToUsd(t.cost_pico),
      total_ms: t.total_ms,
    })),
    cost_usd: anyKnown ? picoToUsd(known) : null,
    cost_unknown: unknown,
    cheapest: cheapest
      ? { target: cheapest.target, label: cheapest.label, cost_usd: picoToUsd(cheapest.cost_pico!) }
      : null,
    fastest: fastest ? { target: fastest.target, label: fastest.label, total_ms: fastest.total_ms! } : null,
  }
}
