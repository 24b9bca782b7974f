import { decodeCursor, filterSql, type Cursor } from './run-filter.ts'
import type { StatementCache } from './statements.ts'
import { imageRefsOf } from './run-images.ts'
import { type ListRow, listPage, PROMPT_HEAD, pageCount, type TargetRow } from './run-summary.ts'
import type { RunListQuery, RunListPage } from './types.ts'

const TARGETS = `SELECT run_id, target, label, status, cost_pico, total_ms FROM results
  WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY run_id, idx`

/** Newest first. Keyset (`cursor`) pages stay fast however deep; `page` also counts the total. */
export async function listRuns(sql: StatementCache, query: RunListQuery): Promise<RunListPage> {
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
  const page = await listPage(rows, query, async (ids) => ({
    // BigInt pico-dollars: sums stay exact.
    targets: sql.get(TARGETS).safeIntegers(true).all(JSON.stringify(ids)) as TargetRow[],
    images: imageRefsOf(sql, ids),
  }))
  if (!pageMode) return page
  const count = filterSql(query)
  const total = (sql.get(`SELECT count(*) AS n FROM ${count.from} ${count.where}`).get(count.params) as { n: number }).n
  return { ...page, ...pageCount(query, total) }
}
