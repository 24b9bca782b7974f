import type { ApiIssue } from '../http/api-error.ts'
import type { ErrorKind } from '../providers/types.ts'
import type { CostReason } from '../domain/types.ts'

// The study's shapes, shared by the engine, the API, the pages and the CLI. Nothing here imports Hono or SQL.

/** Cells per study: prompts × targets × repeats. */
export const MAX_STUDY_CELLS = 10_000
export const MAX_REPEATS = 20
/** Concurrent requests per provider within one study. */
export const DEFAULT_CONCURRENCY = 4
export const MAX_CONCURRENCY = 64
export const MAX_STUDY_NAME_CHARS = 200

/** One prompt of a study; `expected` is a check in the syntax of `parseExpected` (src/studies/expected.ts). */
export interface StudyPrompt {
  prompt: string
  system?: string
  expected?: string
}

/** A validated study request (POST /api/studies after zod, or the CLI after reading its file). */
export interface StudyInput {
  name: string
  prompts: StudyPrompt[]
  targets: string[]
  /** 1–20 */
  repeats: number
  /** Requests in flight per provider (not per target), default 4. */
  concurrency: number
  params: { temperature?: number; max_tokens?: number }
  /** Stop starting cells once the known spend reaches this; refuse to start when the low estimate exceeds it. */
  max_usd?: number
}

/** The API's four statuses. A paused study is `interrupted` with `stop_reason: 'paused'`. */
export type StudyStatus = 'running' | 'done' | 'cancelled' | 'interrupted'

/**
 * Why a study stopped before its end: the user paused it, the process died or stopped (`restart`), the known
 * spend reached `max_usd` (`budget`), or a finished cell could not be stored (`error`, e.g. a full disk). Null
 * while running, when done, and when cancelled.
 */
export type StopReason = 'paused' | 'restart' | 'budget' | 'error'

export type CellStatus = 'ok' | 'error' | 'pending' | 'cancelled'

export interface Stat2 {
  median: number | null
  p90: number | null
}

export interface CostStats {
  total: number
  mean: number
  median: number
  p90: number
}

/** One target's figures over its cells. Costs cover known-cost cells only (`cost_usd` null when none). */
export interface TargetSummary {
  target: string
  /** Display label from the config (extra). */
  label: string
  cells: number
  ok: number
  errors: number
  /** Errors by kind (`rate_limit`, `upstream`, `timeout`, …) (extra). */
  errors_by_kind: Partial<Record<ErrorKind | 'timeout', number>>
  cost_usd: CostStats | null
  /** Finished cells whose cost is unknown (extra): when > 0, totals are over the others only. */
  cost_unknown: number
  ttft_ms: Stat2
  total_ms: Stat2
  output_tokens: { median: number | null }
  output_tokens_per_s: { median: number | null }
  /** Share of cells with an `expected` check that passed (0–1); null when no prompt has one. */
  pass_rate: number | null
  /** Cells checked (with `expected`, finished) and passed, behind pass_rate (extra). */
  checked: number
  passed: number
}

/** A target against the cheapest (lowest median cost per request): paired over prompts. */
export interface CostRatio {
  target: string
  vs: string
  /** Median over prompts of (target's median cost ÷ vs's median cost) on that prompt; null when no pair. */
  median: number | null
  /** 95% bootstrap interval over prompts, seeded from the study id; null with fewer than 2 prompts. */
  ci95: [number, number] | null
  /** Prompts with a known, positive cost on both sides. */
  prompts: number
  /** Extras from pairedRatio: geometric mean and ratio of totals over the paired prompts, prompts left out. */
  geo_mean: number | null
  total_ratio: number | null
  excluded: { unknown: number; zero_b: number }
  note: string | null
}

export interface StudySummary {
  targets: TargetSummary[]
  cost_ratios: CostRatio[]
}

export interface StudyProgress {
  done: number
  total: number
  /** Extras: finished cells by outcome, and cells still to run. */
  ok: number
  errors: number
  cancelled: number
  pending: number
}

/** GET /api/studies/:id: the issue's shape plus what the page needs. */
export interface StudyView {
  study_id: string
  name: string
  status: StudyStatus
  created_at: string
  progress: StudyProgress
  summary: StudySummary
  // extras
  stop_reason: StopReason | null
  started_at: string | null
  finished_at: string | null
  /** Seconds left at the current pace, while running; null when unknown. */
  eta_s: number | null
  /** Sum of known cell costs so far (null when no cell has a known cost); `spend_unknown_cells` are not in it. */
  spend_so_far_usd: number | null
  spend_unknown_cells: number
  targets: string[]
  prompt_count: number
  repeats: number
  concurrency: number
  params: { temperature?: number; max_tokens?: number }
  max_usd: number | null
}

/** GET /api/studies: one line per study. */
export interface StudyListItem {
  study_id: string
  name: string
  status: StudyStatus
  stop_reason: StopReason | null
  created_at: string
  finished_at: string | null
  progress: { done: number; total: number }
  targets: string[]
  prompt_count: number
  repeats: number
  spend_so_far_usd: number | null
  /** The same summary as the study's own view (stored once an ended study's cells no longer change). */
  summary: StudySummary
}

/** A finished cell's measured figures, copied from its run (null where the run had none). */
export interface CellFigures {
  ttft_ms: number | null
  total_ms: number | null
  input_tokens: number | null
  cached_input_tokens: number | null
  output_tokens: number | null
  reasoning_tokens: number | null
  output_tokens_per_s: number | null
  /** First answer (not reasoning) token, from request start. */
  first_answer_ms: number | null
  /** Upstream attempts the run made (retries before the first token). */
  attempts: number | null
  finish_reason: string | null
  /** The cost's input and output parts in USD (null when unknown); the exact total is beside them. */
  input_cost_usd: number | null
  output_cost_usd: number | null
  /** Which price book and entry priced the cell, e.g. `config: demo/fast`. */
  price_source: string | null
}

export interface CellView extends CellFigures {
  prompt_index: number
  /** The start of the prompt (at most 200 characters). */
  prompt: string
  target: string
  repeat: number
  /** The history run this cell was recorded as; null while pending. */
  run_id: string | null
  status: CellStatus
  error: { kind: ErrorKind; message: string } | null
  cost_usd: number | null
  /** Why cost_usd is null (or approximate: `estimated-usage`). */
  cost_reason: CostReason | null
  /** Outcome of the prompt's `expected` check; null without one (or for an unfinished cell). */
  expected: 'pass' | 'fail' | null
  /** The start of the answer (at most 300 characters); the full answer is in the run. */
  answer: string
  started_at: string | null
  finished_at: string | null
}

/** What subscribers hear while a study runs: enough to redraw a progress bar. */
export interface StudyProgressEvent {
  study_id: string
  status: StudyStatus
  stop_reason: StopReason | null
  progress: StudyProgress
  spend_so_far_usd: number | null
  /** The cell that just finished, when the event is about one. */
  cell?: CellView
}

export interface StudyEstimate {
  /** Sums over all cells of the targets with a price. */
  low_usd: number | null
  high_usd: number | null
  /** Targets without a price: not in the range. */
  unknown_targets: string[]
  cells: number
}

export type CreateOutcome =
  | { ok: true; study_id: string }
  | { ok: false; status: 422; message: string; issues: ApiIssue[] }

/** Outcome of cancel/pause/resume: 404 unknown id, 409 not possible in the study's state. */
export type ControlOutcome = { ok: true; view: StudyView } | { ok: false; status: 404 | 409; message: string }

export interface StudyExport {
  study: StudyView
  input: StudyInput
  cells: CellView[]
}

export interface StudyService {
  /** Validates (targets known, cells ≤ MAX_STUDY_CELLS, budget vs estimate) and starts the study. */
  create(input: StudyInput): Promise<CreateOutcome>
  /** Newest first. */
  list(): Promise<StudyListItem[]>
  get(id: string): Promise<StudyView | null>
  /** Every cell (or one prompt's), ordered by prompt, target, repeat. */
  cells(id: string, filter?: { prompt_index?: number }): Promise<CellView[] | null>
  /** The whole study for the JSON export. */
  export(id: string): Promise<StudyExport | null>
  cancel(id: string): Promise<ControlOutcome>
  pause(id: string): Promise<ControlOutcome>
  /** Runs the missing cells of an interrupted study; `max_usd` raises the budget of one stopped by it. */
  resume(id: string, options?: { max_usd?: number }): Promise<ControlOutcome>
  estimate(input: StudyInput): Promise<StudyEstimate>
  /** Progress of one study; returns the unsubscribe function. */
  subscribe(id: string, listener: (event: StudyProgressEvent) => void): () => void
  /** Stops starting cells, aborts in-flight ones (they stay missing: `restart`), waits for writes. */
  close(): Promise<void>
}
