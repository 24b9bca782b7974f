import { DeltaCoalescer } from './delta-coalescer.ts'
import type { LiveEntry, LiveEvent, RunEventLog } from './types.ts'

interface RunLog {
  entries: LiveEntry[]
  next: number
  waiters: Set<() => void>
  ended: boolean
  /** About the characters its entries hold (texts, results). */
  bytes: number
  expiry?: NodeJS.Timeout
}

export interface MemoryEventLogOptions {
  /** Entries kept per run (the oldest go first). Default 10,000. */
  maxEntries?: number
  /**
   * How long a log stays after its run's end: long enough for history to have the run's end (a page reloaded
   * then shows it from there). Default 5 s.
   */
  ttlMs?: number
  /** What ended logs may hold in all: past it the oldest go at once (a huge answer's, on its end). Default 1 MiB. */
  endedBytes?: number
  /** Logs kept at most; past it, the oldest ended ones go. Default 1,000. */
  maxRuns?: number
  coalesceMs?: number
}

/**
 * The event log of one process (no Redis): a page reload mid-run on the same instance reattaches. Deltas are
 * coalesced like the Redis log's, and memory stays bounded: entries per run, logs kept, and a log is forgotten
 * shortly after its run ends (history has it by then).
 */
export class MemoryEventLog implements RunEventLog {
  private readonly runs = new Map<string, RunLog>()
  private readonly coalescer: DeltaCoalescer

  constructor(private readonly options: MemoryEventLogOptions = {}) {
    this.coalescer = new DeltaCoalescer((runId, event) => this.entry(runId, event), options.coalesceMs ?? 50)
  }

  append(runId: string, event: LiveEvent): void {
    this.coalescer.append(runId, event)
  }

  private entry(runId: string, event: LiveEvent): void {
    let run = this.runs.get(runId)
    if (!run) {
      run = { entries: [], next: 1, waiters: new Set(), ended: false, bytes: 0 }
      this.runs.set(runId, run)
      this.evict()
    }
    run.entries.push({ id: String(run.next++), event })
    run.bytes += sizeOf(event)
    const max = this.options.maxEntries ?? 10_000
    // The oldest go first, but never the start: watchers, Stop and retry find the run's owner and columns there.
    if (run.entries.length > max) {
      const keep = run.entries[0]?.event.type === 'start' ? 1 : 0
      run.entries.splice(keep, run.entries.length - max)
    }
    // Followers are woken before an ended log may go: they hold what they were given.
    const waiters = [...run.waiters]
    run.waiters.clear()
    for (const wake of waiters) wake()
    if (event.type === 'end' && !run.ended) {
      // One answer larger than what ended logs may hold goes at once, without pushing the others out.
      if (run.bytes > (this.options.endedBytes ?? DEFAULT_ENDED_BYTES)) {
        this.forget(runId)
        return
      }
      run.ended = true
      this.endedBytes += run.bytes
      run.expiry = setTimeout(() => this.forget(runId), this.options.ttlMs ?? 5000)
      run.expiry.unref()
      this.evict()
    }
  }

  private endedBytes = 0

  private forget(runId: string): void {
    const run = this.runs.get(runId)
    if (!run) return
    clearTimeout(run.expiry)
    if (run.ended) this.endedBytes -= run.bytes
    this.runs.delete(runId)
    for (const wake of run.waiters) wake()
  }

  /** Ended logs go, oldest first, past the number of logs or the bytes they may hold. */
  private evict(): void {
    const maxRuns = this.options.maxRuns ?? 1000
    const maxBytes = this.options.endedBytes ?? DEFAULT_ENDED_BYTES
    for (const [id, run] of this.runs) {
      if (this.runs.size <= maxRuns && this.endedBytes <= maxBytes) return
      if (run.ended) this.forget(id)
    }
  }

  async read(runId: string, after?: string): Promise<LiveEntry[] | null> {
    const run = this.runs.get(runId)
    if (!run) return null
    const from = after === undefined ? 0 : seqOf(after)
    return run.entries.filter((e) => seqOf(e.id) > from)
  }

  async *follow(runId: string, after: string | undefined, signal: AbortSignal): AsyncIterable<LiveEntry[]> {
    let last = after
    while (!signal.aborted) {
      const run = this.runs.get(runId)
      if (!run) return
      const batch = (await this.read(runId, last)) ?? []
      if (batch.length > 0) {
        last = batch.at(-1)!.id
        yield batch
        if (batch.some((e) => e.event.type === 'end')) return
        continue
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          signal.removeEventListener('abort', wake)
          run.waiters.delete(wake)
          resolve()
        }
        run.waiters.add(wake)
        signal.addEventListener('abort', wake, { once: true })
      })
    }
  }

  async close(): Promise<void> {
    this.coalescer.flushAll()
    for (const run of this.runs.values()) {
      clearTimeout(run.expiry)
      for (const wake of run.waiters) wake()
    }
    this.runs.clear()
  }
}

const DEFAULT_ENDED_BYTES = 1024 * 1024

const seqOf = (id: string): number => Number(id.split('-')[0])

function sizeOf(event: LiveEvent): number {
  if (event.type === 'delta') return event.text.length + 64
  if (event.type === 'result') return event.result.text.length + (event.result.reasoning?.length ?? 0) + 1024
  return 256
}
