import type { StudyInput } from '../studies/types.ts'
import type { CellOutcome, StoredCell, StudyListRow, StudyRecord } from './study-store.ts'

// Row shapes and mapping shared by the SQLite and PostgreSQL study stores: each store's SQL returns these
// shapes (JSON as text, costs as decimal text, times as numbers), so both map rows the same way.

/** A cell's columns written as it ends, in the order of the UPDATE that writes them. */
export const CELL_FIGURES = [
  'status',
  'run_id',
  'started_at',
  'finished_at',
  'error_kind',
  'error_message',
  'cost_pico',
  'cost_reason',
  'ttft_ms',
  'total_ms',
  'input_tokens',
  'cached_input_tokens',
  'output_tokens',
  'reasoning_tokens',
  'output_tokens_per_s',
  'first_answer_ms',
  'attempts',
  'finish_reason',
  'input_cost_usd',
  'output_cost_usd',
  'price_source',
  'expected_pass',
  'answer',
] as const

export interface StudyRow {
  id: string
  created_at: number
  started_at: number | null
  finished_at: number | null
  status: StudyRecord['status']
  stop_reason: StudyRecord['stop_reason']
  name: string
  /** JSON text. */
  input: string
}

export interface StudyListDbRow extends Omit<StudyRow, 'input'> {
  /** JSON text of the input's targets. */
  targets: string
  prompt_count: number
  repeats: number
  cells: number
  done: number
  /** Decimal text of the exact sum, null when no cell has a known cost. */
  spend: string | null
}

export type CellRow = Omit<StoredCell, 'cost_pico' | 'expected_pass'> & {
  study_id: string
  cost_pico: string | null
  expected_pass: number | null
}

export function toStudyRecord(row: StudyRow): StudyRecord {
  return {
    study_id: row.id,
    name: row.name,
    status: row.status,
    stop_reason: row.stop_reason,
    created_at: row.created_at,
    started_at: row.started_at,
    finished_at: row.finished_at,
    input: JSON.parse(row.input) as StudyInput,
  }
}

export function toStudyListRow(r: StudyListDbRow): StudyListRow {
  return {
    study_id: r.id,
    name: r.name,
    status: r.status,
    stop_reason: r.stop_reason,
    created_at: r.created_at,
    started_at: r.started_at,
    finished_at: r.finished_at,
    targets: JSON.parse(r.targets) as string[],
    prompt_count: r.prompt_count,
    repeats: r.repeats,
    cells: r.cells,
    done: r.done,
    spend_pico: r.spend === null ? null : BigInt(r.spend),
  }
}

export function toStoredCell({ study_id: _, cost_pico, expected_pass, ...rest }: CellRow): StoredCell {
  return {
    ...rest,
    cost_pico: cost_pico === null ? null : BigInt(cost_pico),
    expected_pass: expected_pass === null ? null : expected_pass === 1,
  }
}

/** A finished cell's figures as column values, by the names of CELL_FIGURES. */
export function cellValues(outcome: CellOutcome): Record<(typeof CELL_FIGURES)[number], unknown> {
  return {
    ...outcome,
    expected_pass: outcome.expected_pass === null ? null : outcome.expected_pass ? 1 : 0,
  }
}
