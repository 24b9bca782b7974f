import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createContext, type AppContext } from '../../src/context.ts'
import { buildRequest, executeRun, type Run, type RunInput } from '../../src/engine/run-service.ts'
import { openSqliteRunStore, type SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { StoreRecorder } from '../../src/storage/recorder.ts'
import type { RunStore } from '../../src/storage/types.ts'
import type { TargetResult, TargetStatus } from '../../src/domain/types.ts'
import { picoToUsd } from '../../src/pricing/money.ts'
import { unknownCost } from '../../src/domain/types.ts'
import { loadTestConfig } from '../helpers/juxta.ts'

/** A fresh directory for one test file's databases; `cleanup` removes it. */
export function tempDir(): { dir: string; db: (name?: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'juxta-storage-'))
  return {
    dir,
    db: (name = 'juxta.db') => join(dir, name),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
}

/**
 * The built-in demo provider with fast profiles (quick tests) and a slow one (20 ms per token, ~100 tokens:
 * about two seconds, long enough to observe it mid-stream).
 */
export const demoConfig = {
  run: { max_retries: 0 },
  providers: {
    demo: {
      name: 'Demo (simulated)',
      builtin: 'demo',
      models: [
        {
          id: 'fast',
          label: 'Demo fast',
          price: { input: 0.1, cached_input: 0.025, output: 0.4 },
          simulate: { ttft_ms: 5, tokens_per_s: 4000 },
        },
        {
          id: 'thinker',
          label: 'Demo thinker',
          price: { input: 0.55, cached_input: 0.14, output: 2.19 },
          simulate: { ttft_ms: 5, tokens_per_s: 4000, reasoning_tokens: 40 },
        },
        { id: 'unpriced', label: 'Demo unpriced', simulate: { ttft_ms: 5, tokens_per_s: 4000 } },
        {
          id: 'slow',
          label: 'Demo slow',
          price: { input: 1, cached_input: 0.1, output: 2 },
          simulate: { ttft_ms: 20, tokens_per_s: 50, answer_tokens: 100 },
        },
      ],
    },
  },
}

export interface Harness {
  store: SqliteRunStore
  recorder: StoreRecorder
  ctx: AppContext
  logs: string[]
  /** Runs a compare through the engine and the recorder, then waits for every write. */
  run(input: Partial<RunInput> & { targets: string[] }, options?: { signal?: AbortSignal }): Promise<Run>
}

export function harness(
  path: string,
  options: { store?: RunStore; flushMs?: number; config?: Record<string, unknown> } = {},
): Harness {
  const logs: string[] = []
  const log = (line: string) => logs.push(line)
  const store = openSqliteRunStore(path, { log })
  const target = options.store ?? store
  const recorder = new StoreRecorder(target, {
    log,
    flushMs: options.flushMs,
    labelOf: (t) => ctx.catalog().find(t)?.model.label,
  })
  const ctx = createContext(loadTestConfig(options.config ?? demoConfig), { store: target, recorder, log })
  return {
    store,
    recorder,
    ctx,
    logs,
    async run(input, runOptions = {}) {
      const full: RunInput = { prompt: 'Compare SQLite and Postgres', params: {}, ...input }
      const request = buildRequest(full)
      const meta = { prompt: full.prompt, system: full.system ?? null, parent_id: full.parentId ?? null }
      const run = await executeRun(ctx, request, meta, { signal: runOptions.signal ?? new AbortController().signal })
      await recorder.flush()
      return run
    },
  }
}

/** Resolves once `predicate` holds, polling; rejects after `timeoutMs`. */
export async function until<T>(predicate: () => Promise<T | undefined | null | false>, timeoutMs = 8000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = await predicate()
    if (value) return value
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** A target result with a given status, cost (pico-dollars, null = unknown) and total time. */
export interface Spec {
  target: string
  status?: TargetStatus
  pico: bigint | null
  ms: number
}

export function result(s: Spec): TargetResult {
  const label = s.target.split('/')[1]!
  return {
    target: s.target,
    label,
    model: label,
    status: s.status ?? 'ok',
    text: `answer from ${label}`,
    reasoning: '',
    finish_reason: 'stop',
    usage: { input_tokens: 10, cached_input_tokens: 0, output_tokens: 20, reasoning_tokens: 0, source: 'reported' },
    cost:
      s.pico === null
        ? unknownCost('no-price')
        : {
            input_usd: null,
            output_usd: null,
            total_usd: picoToUsd(s.pico),
            source: 'computed',
            reason: null,
            price_source: 'test',
            unit_price: null,
          },
    timing: { ttft_ms: 10, first_answer_ms: 10, total_ms: s.ms, output_tokens_per_s: 100 },
    error: s.status === 'error' ? { kind: 'upstream', message: 'upstream error (502)', status: 502 } : null,
    attempts: 1,
  }
}

/** Records a run through the store's write API, finished unless `running`. */
export async function addRun(
  store: RunStore,
  id: string,
  at: string,
  prompt: string,
  specs: Spec[],
  opts: { parent?: string; running?: boolean } = {},
): Promise<void> {
  await store.startRun({
    run_id: id,
    created_at: new Date(at),
    prompt,
    system: null,
    params: {},
    parent_id: opts.parent ?? null,
    targets: specs.map((s) => ({ target: s.target, label: s.target.split('/')[1]! })),
  })
  if (opts.running) return
  for (const [i, s] of specs.entries()) await store.saveResult(id, i, result(s))
  await store.finishRun(id, new Date(Date.parse(at) + 5000))
}
