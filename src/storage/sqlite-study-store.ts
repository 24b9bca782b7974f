import type { SqliteDatabase } from './database.ts'
import { StatementCache } from './statements.ts'
import type {
  CellKey,
  CellOutcome,
  NewStudy,
  StoredCell,
  StoredSummary,
  StudyListRow,
  StudyRecord,
  StudyState,
  StudyStore,
} from './study-store.ts'
import {
  CELL_FIGURES,
  type CellRow,
  cellValues,
  type StudyListDbRow,
  type StudyRow,
  toStoredCell,
  toStudyListRow,
  toStudyRecord,
} from './study-rows.ts'

const CELL_COLUMNS = `study_id, prompt_index, target_index, repeat, target, status, run_id, started_at, finished_at,
  error_kind, error_message, CAST(cost_pico AS TEXT) AS cost_pico, cost_reason, ttft_ms, total_ms, input_tokens,
  cached_input_tokens, output_tokens, reasoning_tokens, output_tokens_per_s, first_answer_ms, attempts,
  finish_reason, input_cost_usd, output_cost_usd, price_source, expected_pass, answer`

const SQL = {
  insertStudy: `INSERT INTO studies (id, created_at, status, name, input)
    VALUES (@id, @created_at, 'running', @name, @input)`,
  insertCell: `INSERT INTO study_cells (study_id, prompt_index, target_index, repeat, target, status)
    VALUES (@study_id, @prompt_index, @target_index, @repeat, @target, 'pending')`,
  study: 'SELECT * FROM studies WHERE id = ?',
  list: `SELECT s.id, s.name, s.status, s.stop_reason, s.created_at, s.started_at, s.finished_at,
      json_extract(s.input, '$.targets') AS targets, json_array_length(s.input, '$.prompts') AS prompt_count,
      json_extract(s.input, '$.repeats') AS repeats,
      (SELECT count(*) FROM study_cells c WHERE c.study_id = s.id) AS cells,
      (SELECT count(*) FROM study_cells c WHERE c.study_id = s.id AND c.status IN ('ok', 'error')) AS done,
      (SELECT CAST(sum(cost_pico) AS TEXT) FROM study_cells c WHERE c.study_id = s.id) AS spend
    FROM studies s ORDER BY s.created_at DESC, s.id DESC LIMIT ?`,
  cells: `SELECT ${CELL_COLUMNS} FROM study_cells WHERE study_id = ? ORDER BY prompt_index, target_index, repeat`,
  cellsOfPrompt: `SELECT ${CELL_COLUMNS} FROM study_cells WHERE study_id = ? AND prompt_index = ?
    ORDER BY target_index, repeat`,
  saveCell: `UPDATE study_cells SET ${CELL_FIGURES.map((c) => `${c} = @${c}`).join(', ')}
    WHERE study_id = @study_id AND prompt_index = @prompt_index AND target_index = @target_index
      AND repeat = @repeat`,
  setState: `UPDATE studies SET status = @status, stop_reason = @stop_reason,
      started_at = coalesce(@started_at, started_at),
      finished_at = CASE WHEN @keep_finished THEN finished_at ELSE @finished_at END
    WHERE id = @id`,
  setBudget: `UPDATE studies SET input = json_set(input, '$.max_usd', @max_usd) WHERE id = @id`,
  recover: `UPDATE studies SET status = 'interrupted', stop_reason = 'restart' WHERE status = 'running'`,
  summaries: `SELECT study_id, key, summary FROM study_summaries
    WHERE study_id IN (SELECT value FROM json_each(?))`,
  saveSummary: `INSERT INTO study_summaries (study_id, key, summary) VALUES (@study_id, @key, @summary)
    ON CONFLICT (study_id) DO UPDATE SET key = excluded.key, summary = excluded.summary`,
}

/** Studies beside the run history, on the history's connection (better-sqlite3 is synchronous). */
export class SqliteStudyStore implements StudyStore {
  private readonly sql: StatementCache

  constructor(readonly db: SqliteDatabase) {
    this.sql = new StatementCache(db)
  }

  async createStudy(study: NewStudy): Promise<void> {
    this.db
      .transaction(() => {
        this.sql.get(SQL.insertStudy).run({
          id: study.study_id,
          created_at: study.created_at.getTime(),
          name: study.name,
          input: JSON.stringify(study.input),
        })
        const insert = this.sql.get(SQL.insertCell)
        for (const cell of study.cells) insert.run({ study_id: study.study_id, ...cell })
      })
      .immediate()
  }

  async getStudy(id: string): Promise<StudyRecord | null> {
    const row = this.sql.get(SQL.study).get(id) as StudyRow | undefined
    return row ? toStudyRecord(row) : null
  }

  async listStudies(limit: number): Promise<StudyListRow[]> {
    return (this.sql.get(SQL.list).all(limit) as StudyListDbRow[]).map(toStudyListRow)
  }

  async cells(id: string, filter: { prompt_index?: number } = {}): Promise<StoredCell[]> {
    const rows = (
      filter.prompt_index === undefined
        ? this.sql.get(SQL.cells).all(id)
        : this.sql.get(SQL.cellsOfPrompt).all(id, filter.prompt_index)
    ) as CellRow[]
    return rows.map(toStoredCell)
  }

  async saveCell(id: string, key: CellKey, outcome: CellOutcome): Promise<void> {
    this.sql.get(SQL.saveCell).run({
      ...cellValues(outcome),
      study_id: id,
      prompt_index: key.prompt_index,
      target_index: key.target_index,
      repeat: key.repeat,
    })
  }

  async setState(id: string, state: StudyState): Promise<void> {
    this.sql.get(SQL.setState).run({
      id,
      status: state.status,
      stop_reason: state.stop_reason,
      started_at: state.started_at ?? null,
      keep_finished: state.finished_at === undefined ? 1 : 0,
      finished_at: state.finished_at ?? null,
    })
  }

  async setBudget(id: string, maxUsd: number): Promise<void> {
    this.sql.get(SQL.setBudget).run({ id, max_usd: maxUsd })
  }

  async storedSummaries(ids: readonly string[]): Promise<Map<string, StoredSummary>> {
    const rows = this.sql.get(SQL.summaries).all(JSON.stringify(ids)) as Array<{
      study_id: string
      key: string
      summary: string
    }>
    return new Map(rows.map((r) => [r.study_id, { key: r.key, summary: JSON.parse(r.summary) }]))
  }

  async saveSummary(id: string, stored: StoredSummary): Promise<void> {
    this.sql.get(SQL.saveSummary).run({ study_id: id, key: stored.key, summary: JSON.stringify(stored.summary) })
  }

  async recoverInterrupted(): Promise<number> {
    return this.recoverSync()
  }

  /** At start: a study can only be running in the process that runs it. */
  recoverSync(): number {
    return this.sql.get(SQL.recover).run().changes
  }
}
