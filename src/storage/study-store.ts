import type { CellFigures, CellStatus, StopReason, StudyInput, StudyStatus, StudySummary } from '../studies/types.ts'
import type { CostReason } from '../domain/types.ts'
import type { ErrorKind } from '../providers/types.ts'

/** Where a cell sits in its study: prompts × targets × repeats (all 0-based but `repeat`, 1-based). */
export interface CellKey {
  prompt_index: number
  target_index: number
  repeat: number
  target: string
}

/** A finished cell's figures, copied from its run so the study stays whole if the run leaves history. */
export interface CellOutcome extends CellFigures {
  status: Exclude<CellStatus, 'pending'>
  run_id: string | null
  started_at: number | null
  finished_at: number | null
  error_kind: ErrorKind | null
  error_message: string | null
  /** Exact pico-dollars (1e-12 USD); null when the cost is unknown (never 0 for unknown). */
  cost_pico: bigint | null
  cost_reason: CostReason | null
  expected_pass: boolean | null
  /** The start of the answer. */
  answer: string
}

export interface StoredCell extends CellKey, Omit<CellOutcome, 'status'> {
  status: CellStatus
}

export interface StudyRecord {
  study_id: string
  name: string
  status: StudyStatus
  stop_reason: StopReason | null
  created_at: number
  started_at: number | null
  finished_at: number | null
  input: StudyInput
}

export interface StudyListRow extends Omit<StudyRecord, 'input'> {
  targets: string[]
  prompt_count: number
  repeats: number
  cells: number
  done: number
  /** Known cell costs so far, exact. */
  spend_pico: bigint | null
}

export interface NewStudy {
  study_id: string
  name: string
  created_at: Date
  input: StudyInput
  /** Every cell, pending. */
  cells: CellKey[]
}

export interface StudyState {
  status: StudyStatus
  stop_reason: StopReason | null
  started_at?: number
  finished_at?: number | null
}

/**
 * Where studies are kept. SQLite implements it (beside the run history); async like RunStore so a server
 * database can implement it later without touching the study engine.
 */
export interface StudyStore {
  createStudy(study: NewStudy): Promise<void>
  getStudy(id: string): Promise<StudyRecord | null>
  /** Newest first. */
  listStudies(limit: number): Promise<StudyListRow[]>
  /** Ordered by prompt, target, repeat. */
  cells(id: string, filter?: { prompt_index?: number }): Promise<StoredCell[]>
  /** Writes one finished cell at once (a crash afterwards never loses it). */
  saveCell(id: string, key: CellKey, outcome: CellOutcome): Promise<void>
  setState(id: string, state: StudyState): Promise<void>
  /** A new `max_usd` (resuming a study stopped by its budget). */
  setBudget(id: string, maxUsd: number): Promise<void>
  /** Studies a previous process left `running` become `interrupted` (`restart`); returns their count. */
  recoverInterrupted(): Promise<number>
  /** The stored summaries of these studies, each with the key of the cells it was computed from. */
  storedSummaries(ids: readonly string[]): Promise<Map<string, StoredSummary>>
  /** Keeps the summary of a study whose cells no longer change, so the list need not read its cells again. */
  saveSummary(id: string, stored: StoredSummary): Promise<void>
}

export interface StoredSummary {
  /** What the summary was computed from (status and counts): another key means it is out of date. */
  key: string
  summary: StudySummary
}
