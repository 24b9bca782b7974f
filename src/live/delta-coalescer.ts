import type { RunEvent } from '../engine/types.ts'
import type { LiveEvent } from './types.ts'

type Delta = Extract<RunEvent, { type: 'delta' }>

/** One column's text or reasoning waiting in a window: its pieces, one event made (and joined) at the flush. */
interface Slot {
  index: number
  kind: Delta['kind']
  /** An array, not a string grown by `+=`: a window holds thousands of tokens at full speed, and a rope node
   * per token is what the young-generation GC would copy. */
  pieces: string[]
}

interface Pending {
  /** In the order each (column, kind) was first seen in the window; a handful, so searched in order. */
  slots: Slot[]
  timer: NodeJS.Timeout
}

/**
 * Merges each column's deltas over a short window before they reach a log: a 1,000-token answer becomes a few
 * dozen entries, not 1,000. Any other event first writes the deltas before it, so the order of a column holds.
 * Per delta it only appends to an array (no key, no object): it runs for every token of every run.
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
      p = { slots: [], timer: setTimeout(() => this.flush(runId), this.windowMs) }
      this.pending.set(runId, p)
    }
    const { slots } = p
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!
      if (slot.index === event.index && slot.kind === event.kind) {
        slot.pieces.push(event.text)
        return
      }
    }
    slots.push({ index: event.index, kind: event.kind, pieces: [event.text] })
  }

  flush(runId: string): void {
    const p = this.pending.get(runId)
    if (!p) return
    clearTimeout(p.timer)
    this.pending.delete(runId)
    for (const { index, kind, pieces } of p.slots)
      this.write(runId, { type: 'delta', index, kind, text: pieces.join('') })
  }

  flushAll(): void {
    for (const runId of [...this.pending.keys()]) this.flush(runId)
  }
}
