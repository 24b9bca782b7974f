import type { EngineDeps } from '../engine/compare.ts'
import type { RunRecorder } from '../engine/run-service.ts'
import { splitTarget } from '../providers/catalog.ts'
import { usdToPico } from '../pricing/money.ts'
import type { CellKey, CellOutcome, StoredCell } from '../storage/study-store.ts'
import { runStudyCell } from './cell-run.ts'
import type { ProviderGate } from './provider-gate.ts'
import type { StudyInput, StudyProgress } from './types.ts'

/**
 * Why a runner stops starting cells: still going, paused, budget reached, cancelled, the process closing, or a
 * finished cell that could not be stored (`error`).
 */
export type RunnerMode = 'running' | 'paused' | 'budget' | 'cancelled' | 'closing' | 'error'

export interface RunnerOptions {
  studyId: string
  input: StudyInput
  /** Every cell of the study as stored: pending ones are queued, finished ones counted. */
  cells: StoredCell[]
  engine: EngineDeps & { recorder: RunRecorder }
  gate: ProviderGate
  /** Whether an answer passes a prompt's `expected` check. */
  passes: (expected: string, answer: string) => boolean
  /** Writes a finished cell (before it counts as done). */
  saveCell: (key: CellKey, outcome: CellOutcome) => Promise<void>
  /** A cell ended: listeners redraw. */
  changed: (key: CellKey, outcome: CellOutcome) => void
  /** The known spend reached max_usd: no more cells start. */
  budgetReached: () => void
  /** A finished cell could not be stored: no more cells start, and the study must not end `done`. */
  saveFailed: () => void
  /** Nothing in flight and nothing more will start in this mode. */
  drained: (mode: RunnerMode) => void
  log: (line: string) => void
  now?: () => number
}

/**
 * Runs a study's missing cells: each is a real run (recorded in history with its study, priced at its own
 * start), at most `concurrency` in flight per provider, in the interleaved order of the queue. A 429 the engine
 * retries (honouring Retry-After) also holds that provider's queue in the shared gate; other providers go on.
 * Pause stops starting cells and lets those in flight finish (they are paid for); cancel aborts them at once.
 */
export class StudyRunner {
  mode: RunnerMode = 'running'
  readonly progress: StudyProgress
  /** Known spend, exact. */
  spentPico = 0n
  unknownCostCells = 0
  private readonly queues = new Map<string, { cells: CellKey[]; head: number; active: number }>()
  private readonly abort = new AbortController()
  private inFlight = 0
  private timer: NodeJS.Timeout | null = null
  private finished = false
  private budgetPico: bigint | null
  private readonly now: () => number
  /** Cells finished since this runner started, for the time left. */
  private sessionStart: number
  private sessionDone = 0

  constructor(private readonly o: RunnerOptions) {
    this.now = o.now ?? Date.now
    this.sessionStart = this.now()
    this.budgetPico = o.input.max_usd === undefined ? null : usdToPico(o.input.max_usd)
    const p: StudyProgress = { done: 0, total: o.cells.length, ok: 0, errors: 0, cancelled: 0, pending: 0 }
    for (const c of o.cells) {
      if (c.status === 'pending') {
        p.pending++
        const provider = splitTarget(c.target)?.provider ?? c.target
        let q = this.queues.get(provider)
        if (!q) {
          q = { cells: [], head: 0, active: 0 }
          this.queues.set(provider, q)
        }
        q.cells.push(c)
        continue
      }
      if (c.status === 'ok') p.ok++
      else if (c.status === 'error') p.errors++
      else p.cancelled++
      if (c.status !== 'cancelled') {
        if (c.cost_pico === null) this.unknownCostCells++
        else this.spentPico += c.cost_pico
      }
    }
    p.done = p.ok + p.errors
    this.progress = p
    // Cells come stored by prompt, target, repeat; the queue runs them repeat by repeat (see cellKeys).
    for (const q of this.queues.values()) {
      q.cells.sort((a, b) => a.repeat - b.repeat || a.prompt_index - b.prompt_index || a.target_index - b.target_index)
    }
  }

  start(): void {
    this.pump()
  }

  /** Seconds left at this session's pace; null before the first cell ends or when not running. */
  etaSeconds(): number | null {
    if (this.mode !== 'running' || this.sessionDone === 0) return null
    const perCell = (this.now() - this.sessionStart) / this.sessionDone
    return Math.round((perCell * this.progress.pending) / 1000)
  }

  pause(): void {
    if (this.mode === 'running') this.mode = 'paused'
    this.clearTimer()
    this.checkDrained()
  }

  /** Back to running after a pause whose cells are still finishing. False when this runner already ended. */
  resume(budgetUsd?: number): boolean {
    if (this.finished || this.mode === 'cancelled' || this.mode === 'closing') return false
    if (budgetUsd !== undefined) this.budgetPico = usdToPico(budgetUsd)
    this.mode = 'running'
    this.sessionStart = this.now()
    this.sessionDone = 0
    this.pump()
    return true
  }

  /** Aborts the cells in flight (their upstream requests close at once); they are recorded as cancelled. */
  cancel(): void {
    this.stopAll('cancelled')
  }

  /** The process is stopping: abort what is in flight without recording it, so resume runs it again. */
  close(): Promise<void> {
    this.stopAll('closing')
    return this.whenDrained()
  }

  private drainedWaiters: Array<() => void> = []

  whenDrained(): Promise<void> {
    if (this.finished) return Promise.resolve()
    return new Promise((resolve) => this.drainedWaiters.push(resolve))
  }

  private stopAll(mode: 'cancelled' | 'closing'): void {
    this.mode = mode
    this.clearTimer()
    this.abort.abort()
    this.checkDrained()
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  private overBudget(): boolean {
    return this.budgetPico !== null && this.spentPico >= this.budgetPico
  }

  private pump(): void {
    if (this.mode !== 'running') {
      this.checkDrained()
      return
    }
    let soonest = Number.POSITIVE_INFINITY
    for (const [provider, q] of this.queues) {
      while (q.head < q.cells.length && q.active < this.o.input.concurrency) {
        const wait = this.o.gate.waitMs(provider)
        if (wait > 0) {
          soonest = Math.min(soonest, wait)
          break
        }
        if (this.overBudget()) {
          this.mode = 'budget'
          this.o.budgetReached()
          this.checkDrained()
          return
        }
        const cell = q.cells[q.head++]!
        void this.runCell(cell, provider, q)
      }
    }
    if (soonest < Number.POSITIVE_INFINITY && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null
        this.pump()
      }, soonest)
    }
    this.checkDrained()
  }

  private checkDrained(): void {
    if (this.finished || this.inFlight > 0) return
    const left = [...this.queues.values()].some((q) => q.head < q.cells.length)
    if (this.mode === 'running' && left) return
    this.finished = true
    this.clearTimer()
    this.o.drained(this.mode)
    for (const resolve of this.drainedWaiters.splice(0)) resolve()
  }

  private async runCell(key: CellKey, provider: string, q: { active: number }): Promise<void> {
    this.inFlight++
    q.active++
    try {
      const outcome = await runStudyCell({
        studyId: this.o.studyId,
        input: this.o.input,
        key,
        engine: this.o.engine,
        passes: this.o.passes,
        signal: this.abort.signal,
        rateLimited: (waitMs) => this.o.gate.hold(provider, waitMs),
        now: this.now,
      })
      // Stopped by a shutdown: the cell stays missing and runs again on resume.
      if (this.mode === 'closing' && outcome.status === 'cancelled') return
      // The run's end is batched by the recorder; write it first, so a crash never leaves an ok cell whose run
      // history still shows as unfinished.
      await this.o.engine.recorder.flush?.()
      await this.o.saveCell(key, outcome)
      this.count(outcome)
      this.o.changed(key, outcome)
    } catch (err) {
      // executeRun contains upstream failures; this is a storage or programming error. The cell stays pending,
      // so the study stops starting cells (more would likely fail to store too, and cost money) and ends
      // interrupted, never done: a resume runs the pending cells again.
      this.o.log(`study ${this.o.studyId}: cell ${key.target} #${key.prompt_index + 1} failed: ${String(err)}`)
      if (this.mode === 'running' || this.mode === 'paused' || this.mode === 'budget') {
        this.mode = 'error'
        this.clearTimer()
        this.o.saveFailed()
      }
    } finally {
      this.inFlight--
      q.active--
      this.pump()
    }
  }

  private count(outcome: CellOutcome): void {
    const p = this.progress
    p.pending--
    if (outcome.status === 'ok') p.ok++
    else if (outcome.status === 'error') p.errors++
    else p.cancelled++
    p.done = p.ok + p.errors
    if (outcome.status !== 'cancelled') {
      this.sessionDone++
      if (outcome.cost_pico === null) this.unknownCostCells++
      else this.spentPico += outcome.cost_pico
    }
  }
}
