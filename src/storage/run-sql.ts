import { SEQ_PER_MS } from './migrations.ts'

export const LINK_PROMPT = 200

/** The next free key in the run's millisecond (see migration 3). */
const NEXT_SEQ = `(SELECT coalesce(max(seq) + 1, @created_at * ${SEQ_PER_MS}) FROM runs
  WHERE seq >= @created_at * ${SEQ_PER_MS} AND seq < (@created_at + 1) * ${SEQ_PER_MS})`

export const RESULT_COLUMNS = [
  'label',
  'status',
  'reported_model',
  'finish_reason',
  'attempts',
  'input_tokens',
  'cached_input_tokens',
  'output_tokens',
  'reasoning_tokens',
  'usage_source',
  'cost_pico',
  'ttft_ms',
  'first_answer_ms',
  'total_ms',
  'output_tokens_per_s',
  'cost_json',
  'error_json',
  'text',
  'reasoning',
] as const

/** The fixed statements of the SQLite run store (filters build theirs in run-filter.ts). */
export const SQL = {
  insertRun: `INSERT INTO runs
      (seq, id, conversation_id, parent_id, turn, created_at, status, params, system, prompt, study_id)
    VALUES (${NEXT_SEQ}, @id, coalesce((SELECT conversation_id FROM runs WHERE id = @parent_id), @id), @parent_id,
      coalesce((SELECT turn + 1 FROM runs WHERE id = @parent_id), 1), @created_at, 'running', @params, @system,
      @prompt, @study_id)`,
  insertTarget: `INSERT INTO results (run_id, idx, target, provider, model, label, status, created_at)
    VALUES (@run_id, @idx, @target, @provider, @model, @label, 'running', @created_at)`,
  appendPartial: `UPDATE results SET text = text || @text, reasoning = reasoning || @reasoning,
    attempts = coalesce(@attempts, attempts) WHERE run_id = @run_id AND idx = @idx AND status = 'running'`,
  saveResult: `UPDATE results SET ${RESULT_COLUMNS.map((c) => `${c} = @${c}`).join(', ')}
    WHERE run_id = @run_id AND idx = @idx`,
  finishRun: `UPDATE runs SET status = 'done', finished_at = @at WHERE id = @id AND status = 'running'`,
  /** A target whose final result could not be written must not stay `running` once its run is done. */
  closeResults: `UPDATE results SET status = 'interrupted' WHERE run_id = @id AND status = 'running'`,
  importRun: `INSERT INTO runs
      (seq, id, conversation_id, parent_id, turn, created_at, finished_at, status, params, system, prompt)
    VALUES (${NEXT_SEQ}, @id, @conversation_id, @parent_id, @turn, @created_at, @finished_at, @status, @params, @system,
      @prompt)
    ON CONFLICT (id) DO NOTHING`,
  importResult: `INSERT INTO results (run_id, idx, target, provider, model, created_at, ${RESULT_COLUMNS.join(', ')})
    VALUES (@run_id, @idx, @target, @provider, @model, @created_at, ${RESULT_COLUMNS.map((c) => `@${c}`).join(', ')})`,
  runById: 'SELECT * FROM runs WHERE id = ?',
  resultsOf: 'SELECT * FROM results WHERE run_id = ? ORDER BY idx',
  runsOfMany: 'SELECT * FROM runs WHERE id IN (SELECT value FROM json_each(?))',
  resultsOfMany: 'SELECT * FROM results WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY run_id, idx',
  link: `SELECT id, created_at, status, study_id, substr(prompt, 1, ${LINK_PROMPT}) AS prompt FROM runs WHERE id = ?`,
  children: `SELECT id, created_at, status, study_id, substr(prompt, 1, ${LINK_PROMPT}) AS prompt FROM runs
    WHERE parent_id = ? ORDER BY created_at, id`,
  descendants: `WITH RECURSIVE d(id) AS (
      SELECT id FROM runs WHERE id = ? UNION SELECT r.id FROM runs r JOIN d ON r.parent_id = d.id)
    SELECT runs.id, runs.status FROM d JOIN runs ON runs.id = d.id`,
  deleteMany: 'DELETE FROM runs WHERE id IN (SELECT value FROM json_each(?))',
}
