import type { ArenaStore, RunArena, Vote, VoteQuery, VoteSource } from '../arena/types.ts'
import type { ResultFigure } from '../arena/leaderboard.ts'
import type { StudyJudgeRecord } from '../arena/study-judge.ts'
import type { SqliteDatabase } from './database.ts'
import { StatementCache } from './statements.ts'
import { type VoteRow, toVote, voteRow, votesByRun } from './arena-rows.ts'

const INSERT_VOTE = `INSERT OR REPLACE INTO votes (run_id, source, targets, winner, blind, created_at, detail)
  VALUES (@run_id, @source, @targets, @winner, @blind, @created_at, @detail)`

/** Blind letters and votes in the history database (tables `run_blind` and `votes`, see migrations.ts). */
export class SqliteArenaStore implements ArenaStore {
  private readonly sql: StatementCache

  constructor(private readonly db: SqliteDatabase) {
    this.sql = new StatementCache(db)
  }

  async setBlind(runId: string, letters: string[]): Promise<void> {
    this.sql.get('INSERT OR REPLACE INTO run_blind (run_id, letters) VALUES (?, ?)').run(runId, JSON.stringify(letters))
  }

  async blindOf(runId: string): Promise<string[] | null> {
    const row = this.sql.get('SELECT letters FROM run_blind WHERE run_id = ?').get(runId) as
      | { letters: string }
      | undefined
    return row ? (JSON.parse(row.letters) as string[]) : null
  }

  async replaceVotes(runId: string, source: VoteSource, votes: Vote[]): Promise<void> {
    this.db
      .transaction(() => {
        this.sql.get('DELETE FROM votes WHERE run_id = ? AND source = ?').run(runId, source)
        for (const v of votes) this.sql.get(INSERT_VOTE).run(voteRow({ ...v, run_id: runId, source }))
      })
      .immediate()
  }

  async votesOf(runId: string): Promise<Vote[]> {
    return (
      this.sql.get('SELECT * FROM votes WHERE run_id = ? ORDER BY created_at, source, targets').all(runId) as VoteRow[]
    ).map(toVote)
  }

  async votesOfRuns(runIds: string[]): Promise<Map<string, Vote[]>> {
    if (runIds.length === 0) return new Map()
    const rows = this.sql
      .get('SELECT * FROM votes WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY created_at')
      .all(JSON.stringify(runIds)) as VoteRow[]
    return votesByRun(rows)
  }

  async blindRuns(runIds: string[]): Promise<Map<string, { voted: boolean }>> {
    const out = new Map<string, { voted: boolean }>()
    if (runIds.length === 0) return out
    const rows = this.sql
      .get(
        `SELECT b.run_id, EXISTS (SELECT 1 FROM votes v WHERE v.run_id = b.run_id AND v.source = 'human') AS voted
         FROM run_blind b WHERE b.run_id IN (SELECT value FROM json_each(?))`,
      )
      .all(JSON.stringify(runIds)) as Array<{ run_id: string; voted: number }>
    for (const row of rows) out.set(row.run_id, { voted: row.voted === 1 })
    return out
  }

  async votes(query: VoteQuery): Promise<Vote[]> {
    const where: string[] = []
    const params: Record<string, unknown> = {}
    if (query.from) {
      where.push('created_at >= @from')
      params.from = query.from.getTime()
    }
    if (query.to) {
      where.push('created_at < @to')
      params.to = query.to.getTime()
    }
    if (query.source === 'human') where.push("source = 'human'")
    if (query.source === 'judge') where.push("source LIKE 'judge:%'")
    const sql = `SELECT * FROM votes ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, run_id`
    return (this.sql.get(sql).all(params) as VoteRow[]).map(toVote)
  }

  async resultFigures(runIds: string[]): Promise<ResultFigure[]> {
    if (runIds.length === 0) return []
    const rows = this.sql
      .get(
        `SELECT run_id, target, label, cost_pico, ttft_ms FROM results
         WHERE run_id IN (SELECT value FROM json_each(?)) AND status = 'ok'`,
      )
      .safeIntegers(true)
      .all(JSON.stringify(runIds)) as Array<{
      run_id: string
      target: string
      label: string
      cost_pico: bigint | null
      ttft_ms: number | bigint | null
    }>
    return rows.map((r) => ({ ...r, ttft_ms: r.ttft_ms === null ? null : Number(r.ttft_ms) }))
  }

  async saveStudyJudge(record: StudyJudgeRecord): Promise<void> {
    this.sql
      .get('INSERT OR REPLACE INTO study_judge (study_id, record) VALUES (?, ?)')
      .run(record.study_id, JSON.stringify(record))
  }

  async studyJudge(studyId: string): Promise<StudyJudgeRecord | null> {
    const row = this.sql.get('SELECT record FROM study_judge WHERE study_id = ?').get(studyId) as
      | { record: string }
      | undefined
    return row ? (JSON.parse(row.record) as StudyJudgeRecord) : null
  }

  async importArena(runId: string, arena: RunArena): Promise<void> {
    this.db
      .transaction(() => {
        if (arena.blind) {
          this.sql
            .get('INSERT OR IGNORE INTO run_blind (run_id, letters) VALUES (?, ?)')
            .run(runId, JSON.stringify(arena.blind))
        }
        const stored = new Set(
          (this.sql.get('SELECT DISTINCT source FROM votes WHERE run_id = ?').pluck().all(runId) as string[]) ?? [],
        )
        for (const v of arena.votes ?? []) {
          if (!stored.has(v.source)) this.sql.get(INSERT_VOTE).run(voteRow({ ...v, run_id: runId }))
        }
      })
      .immediate()
  }
}
