import type { ImageRef } from '../images/image-data.ts'
import { picoToUsd } from '../pricing/money.ts'
import { encodeCursor } from './run-filter.ts'
import type { RunListItem, RunListPage, RunListQuery, RunStatus, StoredTargetStatus } from './types.ts'

/** List rows carry this much of the prompt; `truncated` says when more exists. */
export const PROMPT_HEAD = 300

/** One run of a history page, as either database returns it. */
export interface ListRow {
  seq: number
  id: string
  created_at: number
  status: RunStatus
  turn: number
  parent_id: string | null
  conversation_id: string
  prompt: string
  /** SQLite says 0/1, PostgreSQL a boolean. */
  truncated: number | boolean
  study_id: string | null
}

export interface TargetRow {
  run_id: string
  target: string
  label: string
  status: StoredTargetStatus
  /** BigInt pico-dollars: sums stay exact. */
  cost_pico: bigint | null
  total_ms: number | null
}

/**
 * A page from rows read with `LIMIT limit + 1` (the extra row says whether an older page exists). `details`
 * reads the targets and images of the page's runs only.
 */
export async function listPage(
  rows: ListRow[],
  query: RunListQuery,
  details: (ids: string[]) => Promise<{ targets: TargetRow[]; images: Map<string, ImageRef[]> }>,
): Promise<RunListPage> {
  const more = rows.length > query.limit
  const pageRows = more ? rows.slice(0, query.limit) : rows
  const last = pageRows[pageRows.length - 1]
  const { targets, images } =
    pageRows.length === 0 ? { targets: [], images: new Map() } : await details(pageRows.map((r) => r.id))
  return {
    runs: summaries(pageRows, targets, images),
    next_cursor: more && last ? encodeCursor({ seq: last.seq }) : null,
  }
}

/** Page-mode figures of a list of `total` runs. */
export function pageCount(query: RunListQuery, total: number): Pick<RunListPage, 'page' | 'total' | 'pages'> {
  return { page: query.page, total, pages: Math.max(1, Math.ceil(total / query.limit)) }
}

function summaries(rows: ListRow[], targets: TargetRow[], images: Map<string, ImageRef[]>): RunListItem[] {
  const byRun = new Map<string, TargetRow[]>()
  for (const t of targets) byRun.set(t.run_id, [...(byRun.get(t.run_id) ?? []), t])
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
    prompt_truncated: r.truncated === 1 || r.truncated === true,
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
