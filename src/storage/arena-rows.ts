import type { JudgeDetail, Vote, VoteSource } from '../arena/types.ts'

// The votes table's row shape and mapping, shared by the SQLite and PostgreSQL arena stores. `targets` is the
// JSON text of the list (part of the key: one vote per run, source and compared targets).

export interface VoteRow {
  run_id: string
  source: string
  targets: string
  winner: string
  blind: number
  /** Milliseconds since the epoch. */
  created_at: number
  /** JSON text. */
  detail: string | null
}

export const toVote = (row: VoteRow): Vote => ({
  run_id: row.run_id,
  source: row.source as VoteSource,
  targets: JSON.parse(row.targets) as string[],
  winner: row.winner,
  blind: row.blind === 1,
  created_at: new Date(row.created_at).toISOString(),
  ...(row.detail ? { detail: JSON.parse(row.detail) as JudgeDetail } : {}),
})

export function voteRow(v: Vote): VoteRow {
  return {
    run_id: v.run_id,
    source: v.source,
    targets: JSON.stringify(v.targets),
    winner: v.winner,
    blind: v.blind ? 1 : 0,
    created_at: Date.parse(v.created_at),
    detail: v.detail ? JSON.stringify(v.detail) : null,
  }
}

/** Groups votes (in query order) by run. */
export function votesByRun(rows: VoteRow[]): Map<string, Vote[]> {
  const out = new Map<string, Vote[]>()
  for (const row of rows) {
    const list = out.get(row.run_id)
    if (list) list.push(toVote(row))
    else out.set(row.run_id, [toVote(row)])
  }
  return out
}
