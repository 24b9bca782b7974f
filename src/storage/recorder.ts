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
}

interface Pending {
  runId: string
  index: number
  text: string
  reasoning: string
  attempts: number | null
}

/**
 * Keeps runs in a RunStore as they happen: the run and one `running` row per target when it starts, text
 * received so far every `flushMs` (buffered in memory, never a write per token), each target's final result
 * as it ends. Writes run one after another in call order. Nothing here throws into the engine: a failed
 * write is logged (once per run and kind) and streaming goes on.
 */
export class StoreRecorder implements RunRecorder {
  /** Text not yet written, per run and target index: the per-token path is two lookups and a concat. */
  private readonly pending = new Map<string, Array<Pending | undefined>>()
  private readonly failed = new Set<string>()
  private readonly flushMs: number
  private timer: NodeJS.Timeout | null = null
  private tail: Promise<void> | null = null

  constructor(
    private readonly store: RunStore,
    private readonly options: StoreRecorderOptions,
  ) {
    this.flushMs = options.flushMs ?? 500
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
      this.enqueue(request.run_id, 'start', () => this.store.startRun(run))
    })
  }

  event(runId: string, event: RunEvent): void {
    try {
      if (event.type === 'delta') {
        const p = this.pendingFor(runId, event.index)
        if (event.kind === 'text') p.text += event.text
        else p.reasoning += event.text
        if (!this.timer) this.schedule()
      } else if (event.type === 'retry') {
        this.pendingFor(runId, event.index).attempts = event.attempt
        this.schedule()
      } else if (event.type === 'result') {
        // The final text supersedes whatever is still buffered for this target.
        const list = this.pending.get(runId)
        if (list) list[event.index] = undefined
        const result = this.redacted(event.result)
        this.enqueue(runId, 'result', () => this.store.saveResult(runId, event.index, result))
      }
    } catch (err) {
      this.report(runId, 'event', err)
    }
  }

  finished(runId: string, _results: TargetResult[]): void {
    this.guard(runId, 'finish', () => {
      this.pending.delete(runId)
      this.enqueue(runId, 'finish', () => this.store.finishRun(runId, new Date()))
      for (const k of this.failed) if (k.startsWith(`${runId}:`)) this.failed.delete(k)
    })
  }

  /** Writes buffered text now; resolves once every write queued so far has ended. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    const batch: PartialUpdate[] = []
    for (const list of this.pending.values()) {
      for (const p of list) {
        if (p)
          batch.push({ run_id: p.runId, index: p.index, text: p.text, reasoning: p.reasoning, attempts: p.attempts })
      }
    }
    this.pending.clear()
    if (batch.length > 0) {
      this.enqueue(
        null,
        'partial',
        () => this.store.appendPartials(batch),
        () => this.requeue(batch),
      )
    }
    return this.tail ?? Promise.resolve()
  }

  private pendingFor(runId: string, index: number): Pending {
    let list = this.pending.get(runId)
    if (!list) {
      list = []
      this.pending.set(runId, list)
    }
    let entry = list[index]
    if (!entry) {
      entry = { runId, index, text: '', reasoning: '', attempts: null }
      list[index] = entry
    }
    return entry
  }

  private schedule(): void {
    if (this.timer) return
    this.timer = setTimeout(() => void this.flush(), this.flushMs)
    this.timer.unref()
  }

  /** A failed append changed nothing (one transaction), so its text goes back in front of newer text. */
  private requeue(batch: PartialUpdate[]): void {
    for (const u of batch) {
      const p = this.pendingFor(u.run_id, u.index)
      p.text = u.text + p.text
      p.reasoning = u.reasoning + p.reasoning
      p.attempts ??= u.attempts
    }
    this.schedule()
  }

  /** Runs `op` now when nothing is in flight (SQLite writes at once), else after the writes before it. */
  private enqueue(runId: string | null, kind: string, op: () => Promise<void>, onError?: () => void): void {
    const run = async () => {
      try {
        await op()
        if (runId === null) this.failed.delete(`*:${kind}`)
      } catch (err) {
        onError?.()
        this.report(runId, kind, err)
      }
    }
    const next = this.tail ? this.tail.then(run) : run()
    this.tail = next
    void next.then(() => {
      if (this.tail === next) this.tail = null
    })
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
