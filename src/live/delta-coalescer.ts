import type { RunEvent } from '../engine/types.ts'
import type { LiveEvent } from './types.ts'

type Delta = Extract<RunEvent, { type: 'delta' }>

interface Pending {
  deltas: Map<string, Delta>
  timer: NodeJS.Timeout
}

/**
 * Merges each column's deltas over a short window before they reach a log: a 1,000-token answer becomes a few
 * dozen entries, not 1,000. Any other event first writes the deltas before it, so the order of a column holds.
 */
export class DeltaCoalescer {
  private readonly pending = new Map<string, Pending>()

  constructor(
    private readonly write: (runId: string, event: LiveEvent) => void,
    private readonly windowMs = 50,
  ) {}

  append(runId: string, event: LiveEvent): void {
    if (event.type !== 'delta') {
      this.flush(runId)
      this.write(runId, event)
      return
    }
    let p = this.pending.get(runId)
    if (!p) {
      p = { deltas: new Map(), timer: setTimeout(() => this.flush(runId), this.windowMs) }
      this.pending.set(runId, p)
    }
    const slot = `${event.index}:${event.kind}`
    const had = p.deltas.get(slot)
    p.deltas.set(slot, had ? { ...had, text: had.text + event.text } : { ...event })
  }

  flush(runId: string): void {
    const p = this.pending.get(runId)
    if (!p) return
    clearTimeout(p.timer)
    this.pending.delete(runId)
    for (const delta of p.deltas.values()) this.write(runId, delta)
  }

  flushAll(): void {
    for (const runId of [...this.pending.keys()]) this.flush(runId)
  }
}
