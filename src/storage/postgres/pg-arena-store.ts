import type pg from 'pg'
import type {
  ArenaStore,
  ResultFigure,
  RunArena,
  StudyJudgeRecord,
  Vote,
  VoteQuery,
  VoteSource,
} from '../../arena/types.ts'
import { type VoteRow, toVote, voteRow, votesByRun } from '../arena-rows.ts'
import { type PgPool, pgTransaction } from './pg-database.ts'

// Vote rows in the shape of arena-rows.ts (shared with SQLite). Text columns sort with COLLATE "C": byte order,
// as SQLite's BINARY, whatever the database's locale.
const VOTE_COLUMNS = `run_id, source, targets, winner, blind::int AS blind, created_at::float8 AS created_at,
  detail::text AS detail`

const INSERT_VOTE = `INSERT INTO votes (run_id, source, targets, winner, blind, created_at, detail)
  VALUES ($1, $2, $3, $4, $5, $6, $7)
  ON CONFLICT (run_id, source, targets) DO UPDATE SET winner = excluded.winner, blind = excluded.blind,
    created_at = excluded.created_at, detail = excluded.detail`

function insertVote(client: pg.PoolClient, v: Vote) {
  const r = voteRow(v)
  return client.query(INSERT_VOTE, [r.run_id, r.source, r.targets, r.winner, r.blind === 1, r.created_at, r.detail])
}

/** Blind letters and votes in PostgreSQL (migration 2), the same behaviour as SqliteArenaStore. */
export class PgArenaStore implements ArenaStore {
  constructor(private readonly pool: PgPool) {}

  async setBlind(runId: string, letters: string[]): Promise<void> {
    await this.pool.query(
      `INSERT INTO run_blind (run_id, letters) VALUES ($1, $2)
       ON CONFLICT (run_id) DO UPDATE SET letters = excluded.letters`,
      [runId, JSON.stringify(letters)],
    )
  }

  async blindOf(runId: string): Promise<string[] | null> {
    const { rows } = await this.pool.query<{ letters: string }>('SELECT letters FROM run_blind WHERE run_id = $1', [
      runId,
    ])
    return rows[0] ? (JSON.parse(rows[0].letters) as string[]) : null
  }

  async replaceVotes(runId: string, source: VoteSource, votes: Vote[]): Promise<void> {
    await pgTransaction(this.pool, async (client) => {
      await client.query('DELETE FROM votes WHERE run_id = $1 AND source = $2', [runId, source])
      for (const v of votes) await insertVote(client, { ...v, run_id: runId, source })
    })
  }

  async votesOf(runId: string): Promise<Vote[]> {
    const { rows } = await this.pool.query<VoteRow>(
      `SELECT ${VOTE_COLUMNS} FROM votes WHERE run_id = $1
       ORDER BY created_at, source COLLATE "C", targets COLLATE "C"`,
      [runId],
    )
    return rows.map(toVote)
  }

  async votesOfRuns(runIds: string[]): Promise<Map<string, Vote[]>> {
    if (runIds.length === 0) return new Map()
    const { rows } = await this.pool.query<VoteRow>(
      `SELECT ${VOTE_COLUMNS} FROM votes WHERE run_id = ANY($1::text[]) ORDER BY created_at`,
      [runIds],
    )
    return votesByRun(rows)
  }

  async blindRuns(runIds: string[]): Promise<Map<string, { voted: boolean }>> {
    const out = new Map<string, { voted: boolean }>()
    if (runIds.length === 0) return out
    const { rows } = await this.pool.query<{ run_id: string; voted: boolean }>(
      `SELECT b.run_id, EXISTS (SELECT 1 FROM votes v WHERE v.run_id = b.run_id AND v.source = 'human') AS voted
       FROM run_blind b WHERE b.run_id = ANY($1::text[])`,
      [runIds],
    )
    for (const row of rows) out.set(row.run_id, { voted: row.voted })
    return out
  }

  async votes(query: VoteQuery): Promise<Vote[]> {
    const where: string[] = []
    const params: unknown[] = []
    if (query.from) {
      params.push(query.from.getTime())
      where.push(`created_at >= $${params.length}`)
    }
    if (query.to) {
      params.push(query.to.getTime())
      where.push(`created_at < $${params.length}`)
    }
    if (query.source === 'human') where.push("source = 'human'")
    if (query.source === 'judge') where.push("source LIKE 'judge:%'")
    const { rows } = await this.pool.query<VoteRow>(
      `SELECT ${VOTE_COLUMNS} FROM votes ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at, run_id COLLATE "C"`,
      params,
    )
    return rows.map(toVote)
  }

  /** Reads `results` of migration 1 (run_id, target, label, status, cost_pico, ttft_ms), as SQLite does. */
  async resultFigures(runIds: string[]): Promise<ResultFigure[]> {
    if (runIds.length === 0) return []
    const { rows } = await this.pool.query<{
      run_id: string
      target: string
      label: string
      cost_pico: string | null
      ttft_ms: number | null
    }>(
      `SELECT run_id, target, label, cost_pico::text AS cost_pico, ttft_ms::float8 AS ttft_ms FROM results
       WHERE run_id = ANY($1::text[]) AND status = 'ok'`,
      [runIds],
    )
    return rows.map((r) => ({ ...r, cost_pico: r.cost_pico === null ? null : BigInt(r.cost_pico) }))
  }

  async saveStudyJudge(record: StudyJudgeRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO study_judge (study_id, record) VALUES ($1, $2)
       ON CONFLICT (study_id) DO UPDATE SET record = excluded.record`,
      [record.study_id, JSON.stringify(record)],
    )
  }

  async studyJudge(studyId: string): Promise<StudyJudgeRecord | null> {
    const { rows } = await this.pool.query<{ record: string }>(
      'SELECT record::text AS record FROM study_judge WHERE study_id = $1',
      [studyId],
    )
    return rows[0] ? (JSON.parse(rows[0].record) as StudyJudgeRecord) : null
  }

  async importArena(runId: string, arena: RunArena): Promise<void> {
    await pgTransaction(this.pool, async (client) => {
      if (arena.blind) {
        await client.query('INSERT INTO run_blind (run_id, letters) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
          runId,
          JSON.stringify(arena.blind),
        ])
      }
      const { rows } = await client.query<{ source: string }>('SELECT DISTINCT source FROM votes WHERE run_id = $1', [
        runId,
      ])
      const stored = new Set(rows.map((r) => r.source))
      for (const v of arena.votes ?? []) {
        if (!stored.has(v.source)) await insertVote(client, { ...v, run_id: runId })
      }
    })
  }
}
