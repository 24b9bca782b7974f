import type { Verdict } from './judge-prompt.ts'

/** Who gave a vote: a person (`human`) or an LLM judge (`judge:<target>`). */
export type VoteSource = 'human' | `judge:${string}`

export const HUMAN = 'human' as const

/** A human vote's winner: one of the run's targets, or every answer equally good (`tie`) or bad (`all_bad`). */
export type HumanWinner = string

/** How a judge's two orders of one pair came out, in target terms (see src/arena/judge.ts). */
export interface JudgeDetail {
  /** The verdict with the first target shown as Answer A, then with the order swapped. */
  verdicts: [string | null, string | null]
  /** The judge run whose columns hold the judge's own answers (its cost and time). */
  judge_run_id: string
}

/**
 * One vote. A human vote compares every target of its run (`targets` is all of them): the winner beats each
 * other target, `tie` and `all_bad` are ties between all. A judge's vote compares one pair of answers, so
 * `targets` has two entries and `winner` is one of them, `tie`, or `no_verdict` (recorded, never rated).
 */
export interface Vote {
  run_id: string
  source: VoteSource
  targets: string[]
  winner: string
  blind: boolean
  /** ISO 8601. */
  created_at: string
  detail?: JudgeDetail
}

export type LeaderboardSource = 'human' | 'judge' | 'all'

export interface VoteQuery {
  from?: Date
  to?: Date
  source: LeaderboardSource
}

/** Where blind letters and votes are kept (SQLite: src/storage/arena-store.ts). */
export interface ArenaStore {
  /** Marks a run blind; `letters` are its targets in the order of "Answer A", "B", … */
  setBlind(runId: string, letters: string[]): Promise<void>
  /** The targets in letter order of a blind run, or null for a run that is not blind. */
  blindOf(runId: string): Promise<string[] | null>
  /** Replaces every vote of this source on this run (voting again replaces the vote). */
  replaceVotes(runId: string, source: VoteSource, votes: Vote[]): Promise<void>
  votesOf(runId: string): Promise<Vote[]>
  /** Votes of many runs at once (history's list, exports). */
  votesOfRuns(runIds: string[]): Promise<Map<string, Vote[]>>
  /** Blind runs among these, each with whether a human has voted on it. */
  blindRuns(runIds: string[]): Promise<Map<string, { voted: boolean }>>
  /** Votes for the leaderboard, oldest first, by the vote's time. */
  votes(query: VoteQuery): Promise<Vote[]>
  /** Each target's finished answers (cost, TTFT) in these runs: the leaderboard's measured figures. */
  resultFigures(runIds: string[]): Promise<ResultFigure[]>
  /** Replaces a study's judging against its reference. */
  saveStudyJudge(record: StudyJudgeRecord): Promise<void>
  studyJudge(studyId: string): Promise<StudyJudgeRecord | null>
  /** Stores imported votes and blind letters, keeping any already stored for the same run and source. */
  importArena(runId: string, arena: RunArena): Promise<void>
}

/** What a run carries in an export: its blind letters (if blind) and its votes. */
export interface RunArena {
  blind?: string[]
  votes?: Array<Omit<Vote, 'run_id'>>
}

/** One target's measured result in a voted run (a finished answer's cost and TTFT, null when unknown). */
export interface ResultFigure {
  run_id: string
  target: string
  label: string
  /** Exact cost in pico-dollars; null when unknown. */
  cost_pico: bigint | null
  ttft_ms: number | null
}

/** One prompt of a study judged for one target against the reference (both orders). */
export interface StudyJudgement {
  prompt_index: number
  target: string
  /** The verdict with the target shown as Answer A, then with the reference as Answer A. */
  verdicts: [Verdict | null, Verdict | null]
  /** The target, the reference, `tie` or `no_verdict` (see pairOutcome). */
  outcome: string
  judge_run_id: string
}

export interface StudyJudgeRecord {
  study_id: string
  judge: string
  reference: string
  created_at: string
  judgements: StudyJudgement[]
  /** The judge's own calls: their cost (null when none known) and how many there were. */
  cost_usd: number | null
  calls: number
}
