import { csvLine } from '../storage/csv.ts'
import type { CellView, StudyExport } from './types.ts'

type Value = string | number | boolean | null

/** One row per cell, every figure the study keeps; the full answer is in the cell's run (`run_id`). */
const COLUMNS: ReadonlyArray<[string, (study: StudyExport, cell: CellView) => Value]> = [
  ['study_id', (s) => s.study.study_id],
  ['prompt_index', (_, c) => c.prompt_index],
  ['target', (_, c) => c.target],
  ['label', (s, c) => s.study.summary.targets.find((t) => t.target === c.target)?.label ?? null],
  ['repeat', (_, c) => c.repeat],
  ['status', (_, c) => c.status],
  ['run_id', (_, c) => c.run_id],
  ['started_at', (_, c) => c.started_at],
  ['finished_at', (_, c) => c.finished_at],
  ['error_kind', (_, c) => c.error?.kind ?? null],
  ['error_message', (_, c) => c.error?.message ?? null],
  ['cost_usd', (_, c) => c.cost_usd],
  ['input_cost_usd', (_, c) => c.input_cost_usd],
  ['output_cost_usd', (_, c) => c.output_cost_usd],
  ['cost_reason', (_, c) => c.cost_reason],
  ['price_source', (_, c) => c.price_source],
  ['ttft_ms', (_, c) => c.ttft_ms],
  ['first_answer_ms', (_, c) => c.first_answer_ms],
  ['total_ms', (_, c) => c.total_ms],
  ['input_tokens', (_, c) => c.input_tokens],
  ['cached_input_tokens', (_, c) => c.cached_input_tokens],
  ['output_tokens', (_, c) => c.output_tokens],
  ['reasoning_tokens', (_, c) => c.reasoning_tokens],
  ['output_tokens_per_s', (_, c) => c.output_tokens_per_s],
  ['attempts', (_, c) => c.attempts],
  ['finish_reason', (_, c) => c.finish_reason],
  ['expected', (s, c) => s.input.prompts[c.prompt_index]?.expected ?? null],
  ['expected_result', (_, c) => c.expected],
  ['system', (s, c) => s.input.prompts[c.prompt_index]?.system ?? null],
  ['prompt', (s, c) => s.input.prompts[c.prompt_index]?.prompt ?? null],
  ['answer_excerpt', (_, c) => c.answer],
]

export const STUDY_CSV_HEADER = COLUMNS.map(([name]) => name)

/** UTF-8 with a byte-order mark (spreadsheets then read non-ASCII text right), CRLF lines, RFC 4180 quoting. */
export function* studyCsvChunks(study: StudyExport): Generator<string> {
  yield `\uFEFF${csvLine(STUDY_CSV_HEADER)}`
  const BATCH = 500
  for (let at = 0; at < study.cells.length; at += BATCH) {
    yield study.cells
      .slice(at, at + BATCH)
      .map((cell) => csvLine(COLUMNS.map(([, get]) => get(study, cell))))
      .join('')
  }
}
