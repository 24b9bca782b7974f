import type { LiveEntry, RunEventLog } from '../live/types.ts'
import type { RunStore } from '../storage/types.ts'
import { asResult } from './run-view-data.ts'

/** How often a quiet follow asks history whether the run was interrupted meanwhile. */
const CHECK_MS = 2000

/**
 * A run's log followed until its `end`, or until history says the run was interrupted (or done, with the log's
 * end lost). A run whose instance died
 * (kill -9) never gets an `end` entry, and its log lives on for a day: once a live instance has marked it
 * interrupted, its stored results and an `end` close the watcher's stream instead of leaving it waiting.
 */
export async function* followUntilOver(o: {
  events: RunEventLog
  store: RunStore | null | undefined
  runId: string
  after: string
  signal: AbortSignal
  checkMs?: number
}): AsyncIterable<LiveEntry[]> {
  const inner = new AbortController()
  const forward = () => inner.abort()
  o.signal.addEventListener('abort', forward, { once: true })
  let interrupted: Awaited<ReturnType<RunStore['getRun']>> = null
  let doneSeen = false
  const check = async () => {
    const run = await o.store?.getRun(o.runId).catch(() => null)
    // Done in history but no `end` in the log one check later: the log lost its last entries (Redis away as the
    // run ended), so history closes the stream. Once only: the log's own end normally follows within ms.
    const over = run?.status === 'interrupted' || (run?.status === 'done' && doneSeen)
    if (run?.status === 'done') doneSeen = true
    if (over && !inner.signal.aborted) {
      interrupted = run
      inner.abort()
    }
  }
  void check()
  const timer = setInterval(() => void check(), o.checkMs ?? CHECK_MS)
  let last = o.after
  try {
    for await (const batch of o.events.follow(o.runId, o.after, inner.signal)) {
      last = batch.at(-1)?.id ?? last
      yield batch
      if (batch.some((e) => e.event.type === 'end')) return
    }
  } finally {
    clearInterval(timer)
    o.signal.removeEventListener('abort', forward)
  }
  const run = interrupted as Awaited<ReturnType<RunStore['getRun']>>
  if (!run || o.signal.aborted) return
  yield [
    ...run.results.map((r, index) => ({ id: last, event: { type: 'result' as const, index, result: asResult(r) } })),
    { id: last, event: { type: 'end' as const } },
  ]
}
