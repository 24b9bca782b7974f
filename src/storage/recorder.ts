import { performance } from 'node:perf_hooks'
import type { RunMeta, RunRecorder } from '../engine/run-service.ts'
import type { CompareRequest, RunEvent } from '../engine/types.ts'
import type { TargetResult } from '../domain/types.ts'
import { redactSecrets } from '../providers/redact.ts'
import type { PartialUpdate, RunStore } from './types.ts'

export interface StoreRecorderOptions {
  log: (line: string) => void
  /** Display label of a target at start (the final result brings its own). */
  labelOf?: (target: string) => string | undefined
  /** Known API keys, redacted from stored error messages once more. */
  secrets?: () => Iterable<string | undefined>
  /** How often text received while streaming is written. */
  flushMs?: number
  /** Shortest time between two batches of run writes (starts, results) while runs stream. */
  tickMs?: number
  /**
   * Whether a failed write failed because the database is away for now (see storage/unavailable.ts): such
   * writes are kept, in order, and tried again until the database is back, so nothing is lost. Default: none.
   */
  retryable?: (err: unknown) => boolean
  /** Longest wait between two tries of a kept write (default 2 s; the first wait is 100 ms). */
  retryMaxMs?: number
  /** What writes kept for an unavailable database may hold before new runs are refused (default 256 MiB). */
  maxKeptBytes?: number
}

interface Pending {
  runId: string
  index: number
  /** The deltas since the last write, as they came: joined once when written (no string built per token). */
  text: string[]
  reasoning: string[]
  attempts: number | null
}

/** One queued write: what it is (for the log), how to run it, and what to do when it fails. */
interface Op {
  runId: string | null
  kind: string
  run: () => Promise<void>
  onError?: () => void
  /** About the bytes it holds (prompt and images of a start, text of a partial), while it waits. */
  bytes?: number
}

/**
 * Keeps runs in a RunStore as they happen: the run and one `running` row per target when it starts, text
 * received so far every `flushMs` (buffered in memory, never a write per token), each target's final result
 * as it ends, the run's end. Writes are off the hot path: they are queued and written in batches, one
 * transaction for every run in flight (at most one batch per `tickMs`, at the end of the event-loop turn when
 * the last one is older), and at the end of the turn in which a run finishes. Nothing here throws into the
 * engine: a failed write is logged (once per run and kind) and streaming goes on.
 */
export class StoreRecorder implements RunRecorder {
  /** Text not yet written, per run and target index: the per-token path is two lookups and a concat. */
  private readonly pending = new Map<string, Array<Pending | undefined>>()
  private readonly failed = new Set<string>()
  private readonly flushMs: number
  private readonly tickMs: number
  private ops: Op[] = []
  private textTimer: NodeJS.Timeout | null = null
  private opsTimer: NodeJS.Timeout | NodeJS.Immediate | null = null
  /** `opsTimer` is an immediate (end of this turn), not a tick timer. */
  private opsSoon = false
  private lastBatchAt = Number.NEGATIVE_INFINITY
  /** The last write of a store without transactions (each awaited in order). */
  private tail: Promise<void> | null = null
  /** Writes waiting for the database to come back (while it is away), for the log. */
  private kept = 0
  /** What the writes not yet done hold, in bytes (about): bounded while the database is away. */
  private pendingBytes = 0
  private abandoned = false

  constructor(
    private readonly store: RunStore,
    private readonly options: StoreRecorderOptions,
  ) {
    this.flushMs = options.flushMs ?? 500
    this.tickMs = options.tickMs ?? 100
  }

  started(request: CompareRequest, meta: RunMeta): void {
    this.guard(request.run_id, 'start', () => {
      const run = {
        run_id: request.run_id,
        created_at: request.created_at,
        prompt: meta.prompt,
        system: meta.system,
        params: request.params,
        parent_id: meta.parent_id,
        images: meta.images ?? [],
        study_id: meta.study_id ?? null,
        targets: request.targets.map((t) => ({
          target: t.target,
          label: this.options.labelOf?.(t.target) ?? t.target.slice(t.target.indexOf('/') + 1),
        })),
      }
      const bytes = run.prompt.length + (run.system?.length ?? 0) + run.images.reduce((n, i) => n + i.data.length, 0)
      this.queue({ runId: request.run_id, kind: 'start', run: () => this.store.startRun(run), bytes })
    })
  }

  event(runId: string, event: RunEvent): void {
    try {
      if (event.type === 'delta') {
        const p = this.pendingFor(runId, event.index)
        if (event.kind === 'text') p.text.push(event.text)
        else p.reasoning.push(event.text)
        if (!this.textTimer) this.scheduleText()
      } else if (event.type === 'retry') {
        this.pendingFor(runId, event.index).attempts = event.attempt
        this.scheduleText()
      } else if (event.type === 'result') {
        // The final text supersedes whatever is still buffered for this target.
        const list = this.pending.get(runId)
        if (list) list[event.index] = undefined
        const result = this.redacted(event.result)
        this.queue({
          runId,
          kind: 'result',
          run: () => this.store.saveResult(runId, event.index, result),
          bytes: result.text.length + result.reasoning.length,
        })
      }
    } catch (err) {
      this.report(runId, 'event', err)
    }
  }

  finished(runId: string, _results: TargetResult[]): void {
    this.guard(runId, 'finish', () => {
      this.pending.delete(runId)
      this.ops.push({ runId, kind: 'finish', run: () => this.store.finishRun(runId, new Date()) })
      // At the end of this event-loop turn whatever the tick: before any later request is read (so a client that
      // got the run's answer finds it finished in history), and once for all the runs a mass abort ends at once.
      this.scheduleOps(true)
      for (const k of this.failed) if (k.startsWith(`${runId}:`)) this.failed.delete(k)
    })
  }

  /** Writes everything queued and buffered now; resolves once every write so far has ended. */
  flush(): Promise<void> {
    const written = this.writeOps(this.takeText())
    return this.tail ? Promise.all([written, this.tail]).then(() => {}) : written
  }

  private queue(op: Op): void {
    this.ops.push(op)
    this.scheduleOps(false)
  }

  /** Idle (or `now`): at the end of this event-loop turn, after the response's first bytes; busy: once per tick. */
  private scheduleOps(now: boolean): void {
    if (this.opsTimer && (this.opsSoon || !now)) return
    const wait = now ? 0 : this.lastBatchAt + this.tickMs - performance.now()
    if (this.opsTimer) clearTimeout(this.opsTimer as NodeJS.Timeout)
    const write = () => void this.writeOps()
    this.opsSoon = wait <= 0
    this.opsTimer = this.opsSoon ? setImmediate(write) : setTimeout(write, wait)
    this.opsTimer.unref()
  }

  /** The buffered text as one batch of updates (empty when none), cleared from the buffer. */
  private takeText(): PartialUpdate[] {
    if (this.textTimer) clearTimeout(this.textTimer)
    this.textTimer = null
    const batch: PartialUpdate[] = []
    for (const list of this.pending.values()) {
      for (const p of list) {
        if (p)
          batch.push({
            run_id: p.runId,
            index: p.index,
            text: p.text.join(''),
            reasoning: p.reasoning.join(''),
            attempts: p.attempts,
          })
      }
    }
    this.pending.clear()
    return batch
  }

  /** Writes the queued ops, then `text` (after its runs' starts), as one batch. */
  private writeOps(text: PartialUpdate[] = []): Promise<void> {
    if (this.opsTimer) {
      clearTimeout(this.opsTimer as NodeJS.Timeout)
      clearImmediate(this.opsTimer as NodeJS.Immediate)
    }
    this.opsTimer = null
    const batch = this.ops
    this.ops = []
    if (text.length > 0) {
      batch.push({
        runId: null,
        kind: 'partial',
        run: () => this.store.appendPartials(text),
        onError: () => this.requeue(text),
        bytes: text.reduce((n, u) => n + u.text.length + u.reasoning.length, 0),
      })
    }
    if (batch.length === 0) return Promise.resolve()
    this.lastBatchAt = performance.now()
    const inTransaction = this.store.inTransaction?.bind(this.store)
    // A store with earlier writes still in flight keeps its order; one with transactions has none in flight.
    if (!inTransaction || this.tail) {
      for (const op of batch) this.chain(op)
      return this.tail ?? Promise.resolve()
    }
    let outcomes: Array<Promise<void>> = []
    try {
      inTransaction(() => {
        for (const op of batch) outcomes.push(settle(op.run))
      })
    } catch {
      // The commit itself failed: nothing of the batch was written, whatever each write said. Each write alone,
      // so that one that cannot be written does not take the others with it.
      for (const outcome of outcomes) outcome.catch(() => {})
      outcomes = batch.map((op) => settle(op.run))
    }
    const handled = outcomes.map((outcome, i) => {
      const op = batch[i]!
      return outcome.then(
        () => {
          if (op.runId === null) this.failed.delete(`*:${op.kind}`)
        },
        (err: unknown) => {
          op.onError?.()
          this.report(op.runId, op.kind, err)
        },
      )
    })
    return Promise.all(handled).then(() => {})
  }

  private pendingFor(runId: string, index: number): Pending {
    let list = this.pending.get(runId)
    if (!list) {
      list = []
      this.pending.set(runId, list)
    }
    let entry = list[index]
    if (!entry) {
      entry = { runId, index, text: [], reasoning: [], attempts: null }
      list[index] = entry
    }
    return entry
  }

  private scheduleText(): void {
    if (this.textTimer) return
    this.textTimer = setTimeout(() => void this.writeOps(this.takeText()), this.flushMs)
    this.textTimer.unref()
  }

  /** A failed append changed nothing (one transaction), so its text goes back in front of newer text. */
  private requeue(batch: PartialUpdate[]): void {
    for (const u of batch) {
      const p = this.pendingFor(u.run_id, u.index)
      p.text.unshift(u.text)
      p.reasoning.unshift(u.reasoning)
      p.attempts ??= u.attempts
    }
    this.scheduleText()
  }

  /**
   * Stops waiting for an unavailable database (at shutdown): kept writes are reported lost instead of tried
   * again. The runs stay `running` in the database and become `interrupted` later, as after a crash.
   */
  abandonRetries(): void {
    this.abandoned = true
    if (this.kept > 0) this.options.log('history: the database is still away at shutdown; kept writes are given up')
  }

  /**
   * Why new runs must wait: the database is away and the writes kept for it hold more than `maxKeptBytes`. Every
   * run's record is kept until the database is back; past that much, new runs are refused rather than let memory
   * grow until the process dies. Null otherwise.
   */
  holdNewRuns(): string | null {
    // Whatever `kept` says: writes hanging on a cut connection (no reset) count before their first failure.
    if (this.pendingBytes <= (this.options.maxKeptBytes ?? 256 * 1024 * 1024)) return null
    return (
      'the history database is unavailable and the records kept for it fill the memory set aside for them. ' +
      'Nothing was sent or recorded; try again when the database is back.'
    )
  }

  /** Runs `op` after the writes before it (a store whose writes are really asynchronous). */
  private chain(op: Op): void {
    this.pendingBytes += op.bytes ?? 256
    const run = async () => {
      // Given up at shutdown: writes not started are lost at once, not tried one by one against a dead server.
      if (this.abandoned && this.kept > 0) {
        this.report(op.runId, op.kind, new Error('the database was unavailable at shutdown'))
        return
      }
      for (let attempt = 0; ; attempt++) {
        try {
          await op.run()
          if (op.runId === null) this.failed.delete(`*:${op.kind}`)
          if (attempt > 0) this.back()
          return
        } catch (err) {
          if (!this.abandoned && this.options.retryable?.(err)) {
            if (attempt === 0) this.away(err)
            await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, this.options.retryMaxMs ?? 2000)))
            continue
          }
          op.onError?.()
          this.report(op.runId, op.kind, err)
          return
        }
      }
    }
    const counted = () =>
      run().finally(() => {
        this.pendingBytes -= op.bytes ?? 256
      })
    const next = this.tail ? this.tail.then(counted) : counted()
    this.tail = next
    void next.then(() => {
      if (this.tail === next) this.tail = null
    })
  }

  private away(err: unknown): void {
    if (this.kept++ > 0) return
    const message = redactSecrets(err instanceof Error ? err.message : String(err), this.options.secrets?.() ?? [])
    this.options.log(`history: the database is unavailable (${message}); keeping writes until it is back`)
  }

  private back(): void {
    if (this.kept === 0) return
    this.kept = 0
    this.options.log('history: the database is back; kept writes are being written')
  }

  private guard(runId: string, kind: string, fn: () => void): void {
    try {
      fn()
    } catch (err) {
      this.report(runId, kind, err)
    }
  }

  private report(runId: string | null, kind: string, err: unknown): void {
    const k = `${runId ?? '*'}:${kind}`
    if (this.failed.has(k)) return
    this.failed.add(k)
    const message = redactSecrets(err instanceof Error ? err.message : String(err), this.options.secrets?.() ?? [])
    this.options.log(`history: could not save ${kind}${runId ? ` of run ${runId}` : ''}: ${message}`)
  }

  private redacted(result: TargetResult): TargetResult {
    if (!result.error) return result
    const message = redactSecrets(result.error.message, this.options.secrets?.() ?? [])
    return message === result.error.message ? result : { ...result, error: { ...result.error, message } }
  }
}

/** `op()` as a promise whatever it does: a synchronous throw becomes a rejection (its savepoint rolled back). */
function settle(op: () => Promise<void>): Promise<void> {
  try {
    return op()
  } catch (err) {
    return Promise.reject(err)
  }
}
