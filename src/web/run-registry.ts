import type { CompareRequest } from '../engine/types.ts'
import type { TargetResult } from '../domain/types.ts'
import type { RunMeta } from '../engine/run-service.ts'

export interface LiveRun {
  request: CompareRequest
  meta: RunMeta
  controller: AbortController
  /** Results as they finish (index = target position). */
  results: Array<TargetResult | undefined>
  /** Per-column controllers of "retry this column" runs. */
  retries: Map<number, AbortController>
  done: boolean
  /** The conversation turn this run is (1 for a new conversation), as history stores it. */
  turn: number
  /** A blind run (its targets are in letter order); whether it is still hidden depends on its votes. */
  blind?: boolean
}

/**
 * Recent runs of this process: what Stop, "retry this column" and follow-ups need while a page is open.
 * Bounded, so a long-lived server does not grow; older runs come back from history storage.
 */
export class RunRegistry {
  private readonly runs = new Map<string, LiveRun>()
  private imageBytes = 0
  /**
   * @param capacity runs kept
   * @param imageBudget bytes of attached images kept across runs (a run may hold 40 MB of them, twice over as
   *   data URLs in its messages): finished runs are let go, oldest first, past either bound.
   */
  constructor(
    private readonly capacity = 200,
    private readonly imageBudget = 256 * 1024 * 1024,
  ) {}

  add(run: LiveRun): void {
    this.runs.set(run.request.run_id, run)
    this.imageBytes += imageBytesOf(run)
    for (const [id, r] of this.runs) {
      if (this.runs.size <= this.capacity && this.imageBytes <= this.imageBudget) break
      if (!r.done || r === run) continue
      this.runs.delete(id)
      this.imageBytes -= imageBytesOf(r)
    }
  }

  /** Lets a run go (an API run once it has ended: only its Stop needed holding). */
  delete(run: LiveRun): void {
    if (this.runs.get(run.request.run_id) !== run) return
    this.runs.delete(run.request.run_id)
    this.imageBytes -= imageBytesOf(run)
  }

  get(runId: string): LiveRun | undefined {
    return this.runs.get(runId)
  }

  stop(runId: string): boolean {
    const run = this.runs.get(runId)
    if (!run) return false
    run.controller.abort()
    for (const c of run.retries.values()) c.abort()
    return true
  }
}

const imageBytesOf = (run: LiveRun): number => (run.meta.images ?? []).reduce((n, i) => n + i.data.length, 0)
