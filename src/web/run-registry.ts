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
}

/**
 * Recent runs of this process: what Stop, "retry this column" and follow-ups need while a page is open.
 * Bounded, so a long-lived server does not grow; older runs come back from history storage.
 */
export class RunRegistry {
  private readonly runs = new Map<string, LiveRun>()
  constructor(private readonly capacity = 200) {}

  add(run: LiveRun): void {
    this.runs.set(run.request.run_id, run)
    if (this.runs.size > this.capacity) {
      for (const [id, r] of this.runs) {
        if (r.done) {
          this.runs.delete(id)
          break
        }
      }
    }
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
