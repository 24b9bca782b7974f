import type { TargetResult } from '../domain/types.ts'
import { runResponse } from '../engine/run-response.ts'
import type { LiveEntry, RunStartEvent } from './types.ts'

/** One SSE message of the API's event stream. */
export interface ApiEvent {
  event: string
  data: string
  id?: string
}

/**
 * A run's log as `POST /api/compare` streams it: `run`, then `delta`, `first-token`, `retry`, `restart` and
 * `result` (each with its `target`), and `done` with the whole run. Entry ids become SSE ids.
 */
export class ApiEventView {
  private readonly results: Array<TargetResult | undefined>

  constructor(private readonly start: RunStartEvent) {
    this.results = start.targets.map(() => undefined)
  }

  /** The messages of these entries; `send: false` only takes note of them (before a Last-Event-ID). */
  apply(entries: LiveEntry[], send = true): ApiEvent[] {
    const out: ApiEvent[] = []
    const { start } = this
    for (const { id, event } of entries) {
      let message: ApiEvent
      if (event.type === 'start') {
        message = {
          event: 'run',
          data: JSON.stringify({ run_id: start.run_id, created_at: start.created_at, targets: start.targets }),
        }
      } else if (event.type === 'end') {
        const results = this.results.filter((r): r is TargetResult => r !== undefined)
        message = {
          event: 'done',
          data: JSON.stringify(runResponse({ run_id: start.run_id, created_at: start.created_at, results })),
        }
      } else if (event.type === 'result') {
        this.results[event.index] = event.result
        message = {
          event: 'result',
          data: JSON.stringify({ index: event.index, target: start.targets[event.index], result: event.result }),
        }
      } else {
        message = { event: event.type, data: JSON.stringify({ ...event, target: start.targets[event.index] }) }
      }
      if (send) out.push({ ...message, id })
    }
    return out
  }
}
