import type { RunArena } from '../arena/types.ts'
import type { ChatMessage, ChatRequestParams } from '../providers/types.ts'
import type { TargetResult, TargetStatus, Timing } from '../domain/types.ts'
import type { ImageBlob, ImageRef } from '../images/image-data.ts'
import type { PresetImportOutcome } from './preset-store.ts'

export type RunStatus = 'running' | 'done' | 'interrupted'

/** A target still streaming (`running`) or cut off by a crash (`interrupted`) has no final figures yet. */
export type StoredTargetStatus = TargetStatus | 'running' | 'interrupted'

/** `TargetResult` as POST /api/compare returns it; unfinished targets have no total time. */
export interface StoredTargetResult extends Omit<TargetResult, 'status' | 'timing'> {
  status: StoredTargetStatus
  timing: Omit<Timing, 'total_ms'> & { total_ms: number | null }
}

export interface StoredRun {
  run_id: string
  /** ISO 8601, millisecond precision. */
  created_at: string
  finished_at: string | null
  status: RunStatus
  prompt: string
  system: string | null
  params: ChatRequestParams
  targets: string[]
  /** The run this one continues; every turn of a conversation is its own run. */
  parent_id: string | null
  /** Id of the conversation's first run. */
  conversation_id: string
  turn: number
  results: StoredTargetResult[]
  /** Images attached to this run's prompt, in order; absent when there are none. Bytes: GET /images/:sha256. */
  images?: ImageRef[]
  /** The study this run is a cell of; absent for ordinary runs (and in history exports, which drop it). */
  study_id?: string
  /** In exports only: blind letters and votes (src/arena); absent when the run has neither. */
  arena?: RunArena
}

export interface RunLink {
  run_id: string
  created_at: string
  status: RunStatus
  /** The start of the prompt (at most 200 characters). */
  prompt: string
  /** The study this run is a cell of, when it is one. */
  study_id?: string
}

export interface RunDetail extends StoredRun {
  parent: RunLink | null
  children: RunLink[]
}

export interface NewRun {
  run_id: string
  created_at: Date
  prompt: string
  system: string | null
  params: ChatRequestParams
  parent_id: string | null
  targets: Array<{ target: string; label: string }>
  /** Images attached to the prompt: stored once per content hash, referenced by the run. */
  images?: ImageBlob[]
  /** The study this run is a cell of. */
  study_id?: string | null
}

/** Text received since the last flush, appended to a running target. */
export interface PartialUpdate {
  run_id: string
  index: number
  text: string
  reasoning: string
  /** Upstream attempts so far, when a retry happened. */
  attempts: number | null
}

export interface RunFilter {
  /** Words or "quoted phrases" that must all occur in the prompt (case-insensitive substrings). */
  q?: string
  /** Runs that include any of these targets. */
  targets?: string[]
  /** Inclusive lower bound on the run's start. */
  from?: Date
  /** Exclusive upper bound on the run's start. */
  to?: Date
}

export interface RunListQuery extends RunFilter {
  limit: number
  /** Opaque keyset cursor from a previous page's `next_cursor`. */
  cursor?: string
  /** 1-based page number (offset pagination); ignored when `cursor` is given. */
  page?: number
}

export interface TargetSummary {
  target: string
  label: string
  status: StoredTargetStatus
  cost_usd: number | null
  total_ms: number | null
}

export interface RunListItem {
  run_id: string
  created_at: string
  status: RunStatus
  turn: number
  parent_id: string | null
  conversation_id: string
  /** At most 300 characters; `prompt_truncated` says when more exists. */
  prompt: string
  prompt_truncated: boolean
  targets: TargetSummary[]
  /** Sum of the known costs (null when none is known). */
  cost_usd: number | null
  /** Targets whose cost is unknown: when > 0, `cost_usd` is a lower bound. */
  cost_unknown: number
  cheapest: { target: string; label: string; cost_usd: number } | null
  fastest: { target: string; label: string; total_ms: number } | null
  /** Images attached to the prompt; absent when none. */
  images?: ImageRef[]
  /** The study this run is a cell of; absent for ordinary runs. */
  study_id?: string
}

export interface RunListPage {
  runs: RunListItem[]
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  next_cursor: string | null
  /** Present in page mode. */
  page?: number
  total?: number
  pages?: number
}

export interface SpendQuery {
  from?: Date
  to?: Date
}

export interface SpendFigures {
  /** Sum of the known costs; null when the group has requests and none of them a known cost (never 0 for unknown). */
  cost_usd: number | null
  /** Target results in the period (one per target per run). */
  requests: number
  priced_requests: number
  unknown_cost_requests: number
}

export interface SpendReport {
  from: string | null
  to: string | null
  total: SpendFigures
  providers: Array<SpendFigures & { provider: string }>
  models: Array<
    SpendFigures & {
      target: string
      provider: string
      model: string
      label: string
      avg_cost_per_request_usd: number | null
    }
  >
  /** One entry per UTC day, gaps filled with zeros when the period spans at most 1,000 days. */
  days: Array<SpendFigures & { day: string; providers: Record<string, number> }>
}

export type DeleteOutcome =
  | { status: 'deleted'; run_ids: string[] }
  | { status: 'not-found' }
  | { status: 'running'; run_ids: string[] }

/** A run of an import that was not stored: its position in the file, its id when readable, and why. */
export interface SkippedRun {
  index: number
  run_id: string | null
  reason: string
}

export interface ImportOutcome {
  imported: number
  /** Every run not imported: already stored, invalid, or refused by the database. */
  skipped: number
  /** The first MAX_SKIPPED_LISTED of them, in file order. */
  skipped_runs: SkippedRun[]
  /** Present when the file carried presets (export version 2) and this server keeps them. */
  presets?: PresetImportOutcome
}

/**
 * Where runs are kept. SQLite implements it today; every method is async so that a server database can
 * implement it later without touching routes or the engine.
 */
export interface RunStore {
  startRun(run: NewRun): Promise<void>
  appendPartials(updates: PartialUpdate[]): Promise<void>
  saveResult(runId: string, index: number, result: TargetResult): Promise<void>
  finishRun(runId: string, finishedAt: Date): Promise<void>
  /**
   * Runs `fn` in one transaction, for a store whose writes happen synchronously inside the methods above (SQLite):
   * the recorder batches the writes of every run in flight into one commit per tick. Optional; without it the
   * recorder awaits each write in order.
   */
  inTransaction?<T>(fn: () => T): T
  /** Marks runs and targets left `running` by a previous process as `interrupted`; returns the run count. */
  recoverInterrupted(): Promise<number>

  listRuns(query: RunListQuery): Promise<RunListPage>
  getRun(runId: string): Promise<RunDetail | null>
  /** Each target's message history up to and including this run, for a follow-up turn. */
  conversationFor(runId: string): Promise<Record<string, ChatMessage[]> | null>
  /** Deletes the run and its follow-up turns (they make no sense without it); refuses while one runs. */
  deleteRun(runId: string): Promise<DeleteOutcome>
  /** Every run matching the filter, newest first, read in small batches. */
  exportRuns(filter: RunFilter): AsyncIterable<StoredRun>
  /**
   * Inserts runs whose id is not stored yet; existing ids, and runs the database refuses, are skipped alone.
   * `images` holds the checked bytes of every image the runs reference (by sha256).
   */
  importRuns(runs: StoredRun[], images?: ReadonlyMap<string, ImageBlob>): Promise<ImportOutcome>
  /** One stored image by its sha256, for thumbnails and exports. */
  getImage(sha256: string): Promise<{ mime: string; data: Buffer } | null>
  spend(query: SpendQuery): Promise<SpendReport>
  close(): Promise<void>
}
