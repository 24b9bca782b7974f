import { DeltaCoalescer } from './delta-coalescer.ts'
import type { LiveEntry, LiveEvent, RunEventLog } from './types.ts'

interface RunLog {
  entries: LiveEntry[]
  next: number
  waiters: Set<() => void>
  ended: boolean
  expiry?: NodeJS.Timeout
}

export interface MemoryEventLogOptions {
  /** Entries kept per run (the oldest go first). Default 10,000. */
  maxEntries?: number
  /** How long a log stays after its run's end: long enough for a watcher to see the end. Default 60 s. */
  ttlMs?: number
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
      run = { entries: [], next: 1, waiters: new Set(), ended: false }
      this.runs.set(runId, run)
      this.evict()
    }
    run.entries.push({ id: String(run.next++), event })
    const max = this.options.maxEntries ?? 10_000
    if (run.entries.length > max) run.entries.splice(0, run.entries.length - max)
    if (event.type === 'end') {
      run.ended = true
      clearTimeout(run.expiry)
      run.expiry = setTimeout(() => this.runs.delete(runId), this.options.ttlMs ?? 60_000)
      run.expiry.unref()
    }
    const waiters = [...run.waiters]
    run.waiters.clear()
    for (const wake of waiters) wake()
  }

  private evict(): void {
    const max = this.options.maxRuns ?? 1000
    for (const [id, run] of this.runs) {
      if (this.runs.size <= max) return
      if (!run.ended) continue
      clearTimeout(run.expiry)
      this.runs.delete(id)
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

const seqOf = (id: string): number => Number(id.split('-')[0])
