import type { LiveEntry, LiveEvent, RunEventLog } from './types.ts'

interface RunLog {
  entries: LiveEntry[]
  next: number
  waiters: Set<() => void>
  expiry?: NodeJS.Timeout
}

/**
 * The event log of one process (no Redis): a page reload mid-run on the same instance reattaches. Bounded like
 * the Redis one: the oldest entries of a huge run are dropped, and a log is forgotten some minutes after its end.
 */
export class MemoryEventLog implements RunEventLog {
  private readonly runs = new Map<string, RunLog>()

  constructor(private readonly options: { maxEntries?: number; ttlMs?: number } = {}) {}

  append(runId: string, event: LiveEvent): void {
    let run = this.runs.get(runId)
    if (!run) {
      run = { entries: [], next: 1, waiters: new Set() }
      this.runs.set(runId, run)
    }
    run.entries.push({ id: String(run.next++), event })
    const max = this.options.maxEntries ?? 10_000
    if (run.entries.length > max) run.entries.splice(0, run.entries.length - max)
    if (event.type === 'end') {
      clearTimeout(run.expiry)
      run.expiry = setTimeout(() => this.runs.delete(runId), this.options.ttlMs ?? 10 * 60_000)
      run.expiry.unref()
    }
    const waiters = [...run.waiters]
    run.waiters.clear()
    for (const wake of waiters) wake()
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
    for (const run of this.runs.values()) clearTimeout(run.expiry)
    this.runs.clear()
  }
}

const seqOf = (id: string): number => Number(id.split('-')[0])
