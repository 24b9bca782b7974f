import { textParam } from './pg-query.ts'
import type { StudyInput } from '../../studies/types.ts'
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
} from '../study-store.ts'
import {
  CELL_FIGURES,
  type CellRow,
  cellValues,
  type StudyListDbRow,
  type StudyRow,
  toStoredCell,
  toStudyListRow,
  toStudyRecord,
} from '../study-rows.ts'
import { type PgPool, pgTransaction } from './pg-database.ts'

// Rows come back in the shapes of study-rows.ts (shared with SQLite): BIGINT times and counts as float8 (exact
// below 2^53), costs as decimal text for BigInt, JSON as text.
const TIMES = 'created_at::float8 AS created_at, started_at::float8 AS started_at, finished_at::float8 AS finished_at'

const CELL_COLUMNS = `study_id, prompt_index, target_index, repeat, target, status, run_id,
  started_at::float8 AS started_at, finished_at::float8 AS finished_at, error_kind, error_message,
  cost_pico::text AS cost_pico, cost_reason, ttft_ms, total_ms, input_tokens::float8 AS input_tokens,
  cached_input_tokens::float8 AS cached_input_tokens, output_tokens::float8 AS output_tokens,
  reasoning_tokens::float8 AS reasoning_tokens, output_tokens_per_s, first_answer_ms, attempts, finish_reason,
  input_cost_usd, output_cost_usd, price_source, expected_pass::int AS expected_pass, answer`

const SQL = {
  insertStudy: `INSERT INTO studies (id, created_at, status, name, input) VALUES ($1, $2, 'running', $3, $4)`,
  insertCells: `INSERT INTO study_cells (study_id, prompt_index, target_index, repeat, target, status)
    SELECT $1, p, t, r, target, 'pending'
    FROM unnest($2::int[], $3::int[], $4::int[], $5::text[]) AS c(p, t, r, target)`,
  study: `SELECT id, ${TIMES}, status, stop_reason, name, input::text AS input FROM studies WHERE id = $1`,
  list: `SELECT s.id, s.name, s.status, s.stop_reason, s.created_at::float8 AS created_at,
      s.started_at::float8 AS started_at, s.finished_at::float8 AS finished_at,
      (s.input -> 'targets')::text AS targets, json_array_length(s.input -> 'prompts') AS prompt_count,
      (s.input ->> 'repeats')::int AS repeats,
      (SELECT count(*)::int FROM study_cells c WHERE c.study_id = s.id) AS cells,
      (SELECT count(*)::int FROM study_cells c WHERE c.study_id = s.id AND c.status IN ('ok', 'error')) AS done,
      (SELECT sum(cost_pico)::text FROM study_cells c WHERE c.study_id = s.id) AS spend
    FROM studies s ORDER BY s.created_at DESC, s.id COLLATE "C" DESC LIMIT $1`,
  cells: `SELECT ${CELL_COLUMNS} FROM study_cells WHERE study_id = $1 ORDER BY prompt_index, target_index, repeat`,
  cellsOfPrompt: `SELECT ${CELL_COLUMNS} FROM study_cells WHERE study_id = $1 AND prompt_index = $2
    ORDER BY target_index, repeat`,
  saveCell: `UPDATE study_cells SET ${CELL_FIGURES.map((c, i) => `${c} = $${i + 5}`).join(', ')}
    WHERE study_id = $1 AND prompt_index = $2 AND target_index = $3 AND repeat = $4`,
  setState: `UPDATE studies SET status = $2, stop_reason = $3, started_at = coalesce($4, started_at),
      finished_at = CASE WHEN $5 THEN finished_at ELSE $6 END
    WHERE id = $1`,
  inputForUpdate: 'SELECT input::text AS input FROM studies WHERE id = $1 FOR UPDATE',
  setInput: 'UPDATE studies SET input = $2 WHERE id = $1',
  recover: `UPDATE studies SET status = 'interrupted', stop_reason = 'restart' WHERE status = 'running'`,
  summaries: 'SELECT study_id, key, summary::text AS summary FROM study_summaries WHERE study_id = ANY($1::text[])',
  saveSummary: `INSERT INTO study_summaries (study_id, key, summary) VALUES ($1, $2, $3)
    ON CONFLICT (study_id) DO UPDATE SET key = excluded.key, summary = excluded.summary`,
}

/**
 * Studies in PostgreSQL, the same behaviour as SqliteStudyStore (the contract tests run against both).
 *
 * No owner column: in team mode several instances work one study's cells through the shared job queue, so a
 * study is interrupted only when no live instance can take it over, which the queue decides, not the store.
 * `recoverInterrupted` therefore serves a single instance only (every running study becomes interrupted).
 */
export class PgStudyStore implements StudyStore {
  constructor(private readonly pool: PgPool) {}

  async createStudy(study: NewStudy): Promise<void> {
    await pgTransaction(this.pool, async (client) => {
      await client.query(SQL.insertStudy, [
        study.study_id,
        study.created_at.getTime(),
        study.name,
        JSON.stringify(study.input),
      ])
      if (study.cells.length === 0) return
      await client.query(SQL.insertCells, [
        study.study_id,
        study.cells.map((c) => c.prompt_index),
        study.cells.map((c) => c.target_index),
        study.cells.map((c) => c.repeat),
        study.cells.map((c) => c.target),
      ])
    })
  }

  async getStudy(id: string): Promise<StudyRecord | null> {
    const { rows } = await this.pool.query<StudyRow>(SQL.study, [id])
    return rows[0] ? toStudyRecord(rows[0]) : null
  }

  async listStudies(limit: number): Promise<StudyListRow[]> {
    const { rows } = await this.pool.query<StudyListDbRow>(SQL.list, [limit])
    return rows.map(toStudyListRow)
  }

  async cells(id: string, filter: { prompt_index?: number } = {}): Promise<StoredCell[]> {
    const { rows } =
      filter.prompt_index === undefined
        ? await this.pool.query<CellRow>(SQL.cells, [id])
        : await this.pool.query<CellRow>(SQL.cellsOfPrompt, [id, filter.prompt_index])
    return rows.map(toStoredCell)
  }

  async saveCell(id: string, key: CellKey, outcome: CellOutcome): Promise<void> {
    const values = cellValues(outcome)
    await this.pool.query(SQL.saveCell, [
      id,
      key.prompt_index,
      key.target_index,
      key.repeat,
      ...CELL_FIGURES.map((c) => {
        const v = values[c]
        // An answer or error text may hold U+0000, which PostgreSQL text cannot.
        return typeof v === 'bigint' ? v.toString() : typeof v === 'string' ? textParam(v) : v
      }),
    ])
  }

  async setState(id: string, state: StudyState): Promise<void> {
    await this.pool.query(SQL.setState, [
      id,
      state.status,
      state.stop_reason,
      state.started_at ?? null,
      state.finished_at === undefined,
      state.finished_at ?? null,
    ])
  }

  /** Read, change and write the input in one transaction: JSON keeps its key order, as SQLite's json_set does. */
  async setBudget(id: string, maxUsd: number): Promise<void> {
    await pgTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ input: string }>(SQL.inputForUpdate, [id])
      if (!rows[0]) return
      const input = JSON.parse(rows[0].input) as StudyInput
      input.max_usd = maxUsd
      await client.query(SQL.setInput, [id, JSON.stringify(input)])
    })
  }

  async recoverInterrupted(): Promise<number> {
    const { rowCount } = await this.pool.query(SQL.recover)
    return rowCount ?? 0
  }

  async storedSummaries(ids: readonly string[]): Promise<Map<string, StoredSummary>> {
    const { rows } = await this.pool.query<{ study_id: string; key: string; summary: string }>(SQL.summaries, [
      [...ids],
    ])
    return new Map(rows.map((r) => [r.study_id, { key: r.key, summary: JSON.parse(r.summary) }]))
  }

  async saveSummary(id: string, stored: StoredSummary): Promise<void> {
    await this.pool.query(SQL.saveSummary, [id, stored.key, JSON.stringify(stored.summary)])
  }
}
