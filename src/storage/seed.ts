import type { TargetResult } from '../domain/types.ts'
import { costOf, picoToUsd } from '../pricing/money.ts'
import { unknownCost, type Cost, type UnitPrice } from '../domain/types.ts'
import { SEQ_PER_MS } from './migrations.ts'
import { resultValues } from './rows.ts'
import type { SqliteRunStore } from './sqlite-run-store.ts'

/** Synthetic but plausible history for benchmarks and tests: deterministic for a given seed. */
export interface SeedOptions {
  /** Newest run time (ms); runs spread back over `days`. */
  now?: number
  days?: number
  seed?: number
}

const TARGETS: ReadonlyArray<{ target: string; label: string; price: UnitPrice | null }> = [
  { target: 'demo/fast', label: 'Demo fast (simulated)', price: { input: 0.1, cached_input: 0.025, output: 0.4 } },
  { target: 'demo/steady', label: 'Demo steady (simulated)', price: { input: 1.25, cached_input: 0.125, output: 10 } },
  {
    target: 'deepseek/deepseek-flash',
    label: 'DeepSeek V4.1 Flash',
    price: { input: 0.28, cached_input: 0.028, output: 0.42 },
  },
  { target: 'openai/gpt-5.4-mini', label: 'gpt-5.4-mini', price: { input: 0.25, cached_input: 0.025, output: 2 } },
  {
    target: 'mistral/mistral-small-latest',
    label: 'mistral-small-latest',
    price: { input: 0.1, cached_input: 0.1, output: 0.3 },
  },
  { target: 'ollama/llama3.2', label: 'llama3.2', price: null },
]

const WORDS = (
  'explain compare summarize translate refactor write draft list describe outline rust python typescript sqlite ' +
  'postgres kubernetes docker latency throughput caching tokenizer invoice contract recipe poem haiku essay email ' +
  'function query index migration benchmark budget forecast climate history physics chemistry biology music ' +
  'garden travel itinerary interview resume marketing pricing customer support bug crash memory network'
).split(' ')

function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** One seeded run: its row (`seq` already time-ordered) and its target results' column values. */
export interface SeedRun {
  seq: number
  id: string
  created_at: number
  finished_at: number
  prompt: string
  results: Array<ReturnType<typeof resultValues> & { idx: number; target: string; provider: string; model: string }>
}

/** `n` finished runs, newest first, each with 2 to 4 targets: the same rows for a given seed in either database. */
export function* seedRows(n: number, options: SeedOptions = {}): Generator<SeedRun> {
  const rand = mulberry32(options.seed ?? 1)
  const pick = <T>(list: ReadonlyArray<T>): T => list[Math.floor(rand() * list.length)]!
  const words = (count: number) => Array.from({ length: count }, () => pick(WORDS)).join(' ')
  const hex = () =>
    Math.floor(rand() * 0x1000000)
      .toString(16)
      .padStart(6, '0')
  const now = options.now ?? Date.now()
  const span = (options.days ?? 365) * 86_400_000
  for (let i = 0; i < n; i++) {
    const created = Math.round(now - (i / Math.max(1, n)) * span)
    const id = `${created.toString(36).padStart(9, '0')}${hex()}${hex()}`
    const prompt = `${words(6 + Math.floor(rand() * 30))} #${i}`
    const count = 2 + Math.floor(rand() * 3)
    const chosen = [...TARGETS].sort(() => rand() - 0.5).slice(0, count)
    const results = chosen.map((t, idx) => {
      const [provider, ...model] = t.target.split('/')
      const values = resultValues(fakeResult(t.target, t.label, t.price, rand, words))
      return { ...values, idx, target: t.target, provider: provider!, model: model.join('/') }
    })
    // Distinct start times for any n below the span in ms, so the key's low bits never collide.
    yield {
      seq: created * SEQ_PER_MS + (i % SEQ_PER_MS),
      id,
      created_at: created,
      finished_at: created + 4000,
      prompt,
      results,
    }
  }
}

/** Inserts `n` finished runs in one transaction; returns their ids, newest first. */
export function seedRuns(store: SqliteRunStore, n: number, options: SeedOptions = {}): string[] {
  const insertRun =
    store.db.prepare(`INSERT INTO runs (seq, id, conversation_id, turn, created_at, finished_at, status, params, prompt)
    VALUES (@seq, @id, @id, 1, @created_at, @finished_at, 'done', '{}', @prompt)`)
  const insertResult =
    store.db.prepare(`INSERT INTO results (run_id, idx, created_at, target, provider, model, label, status,
    reported_model, finish_reason, attempts, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens,
    usage_source, cost_pico, ttft_ms, first_answer_ms, total_ms, output_tokens_per_s, cost_json, error_json, text,
    reasoning)
    VALUES (@run_id, @idx, @created_at, @target, @provider, @model, @label, @status, @reported_model, @finish_reason,
    @attempts, @input_tokens, @cached_input_tokens, @output_tokens, @reasoning_tokens, @usage_source, @cost_pico,
    @ttft_ms, @first_answer_ms, @total_ms, @output_tokens_per_s, @cost_json, @error_json, @text, @reasoning)`)
  const ids: string[] = []
  store.db.transaction(() => {
    for (const { results, ...run } of seedRows(n, options)) {
      ids.push(run.id)
      insertRun.run(run)
      for (const r of results) insertResult.run({ ...r, run_id: run.id, created_at: run.created_at })
    }
  })()
  return ids
}

function fakeResult(
  target: string,
  label: string,
  price: UnitPrice | null,
  rand: () => number,
  words: (n: number) => string,
): TargetResult {
  const roll = rand()
  const status = roll < 0.92 ? 'ok' : roll < 0.97 ? 'error' : 'timeout'
  const input = 20 + Math.floor(rand() * 400)
  const output = status === 'ok' ? 50 + Math.floor(rand() * 900) : Math.floor(rand() * 40)
  const usage = {
    input_tokens: input,
    cached_input_tokens: 0,
    output_tokens: output,
    reasoning_tokens: 0,
    source: 'reported' as const,
  }
  let cost: Cost = unknownCost('no-price')
  const parts = price ? costOf(usage, price) : null
  if (price && parts) {
    cost = {
      input_usd: picoToUsd(parts.input),
      output_usd: picoToUsd(parts.output),
      total_usd: picoToUsd(parts.total),
      source: 'computed',
      reason: null,
      price_source: `seed: ${target}`,
      unit_price: price,
    }
  }
  const ttft = Math.round(100 + rand() * 900)
  const total = ttft + Math.round(output * (5 + rand() * 20))
  return {
    target,
    label,
    model: target.split('/').slice(1).join('/'),
    status,
    text: words(40),
    reasoning: '',
    finish_reason: status === 'ok' ? 'stop' : null,
    usage,
    cost,
    timing: {
      ttft_ms: ttft,
      first_answer_ms: ttft,
      total_ms: total,
      output_tokens_per_s: Math.round((output / (total - ttft)) * 10000) / 10,
    },
    error:
      status === 'error'
        ? { kind: 'upstream', message: 'upstream error (502)', status: 502 }
        : status === 'timeout'
          ? { kind: 'timeout', message: 'no data for 60000 ms (idle timeout)', status: null }
          : null,
    attempts: 1,
  }
}
