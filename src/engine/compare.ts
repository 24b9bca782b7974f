import type { RunSettings } from '../config/schema.ts'
import type { Catalog } from '../providers/catalog.ts'
import type { OpenAICompatibleAdapter } from '../providers/openai-compatible.ts'
import type { TargetEntry } from '../providers/types.ts'
import { type Pricer } from '../pricing/types.ts'
import { unknownCost } from '../domain/types.ts'
import { runTarget, type TargetOutcome } from './run-target.ts'
import { countPromptTokens, countTextTokens } from '../tokens/token-count.ts'
import type { CompareRequest, RunEvent, TargetRequest } from './types.ts'
import type { TargetResult, Timing, Usage } from '../domain/types.ts'

export interface EngineDeps {
  adapter: OpenAICompatibleAdapter
  catalog: () => Catalog
  pricer: Pricer
  settings: RunSettings
}

export interface RunOptions {
  signal: AbortSignal
  onEvent?: (event: RunEvent) => void
}

/**
 * Runs every target of a compare in parallel. Each target fails alone; the promise resolves with one
 * result per target, in request order, once all have ended.
 */
export async function runCompare(deps: EngineDeps, request: CompareRequest, options: RunOptions): Promise<TargetResult[]> {
  const emit = options.onEvent ?? (() => {})
  return Promise.all(
    request.targets.map((_, index) =>
      runTargetAt(deps, { request, index, startedAt: request.created_at, signal: options.signal, emit }),
    ),
  )
}

/** One target of a run, by its index: for a whole run, or again for "retry this column". */
export interface TargetAt {
  request: Pick<CompareRequest, 'targets' | 'params'>
  index: number
  /** Prices are looked up at this time: the run's start, or a retry's own start. */
  startedAt: Date
  signal: AbortSignal
  emit: (event: RunEvent) => void
}

/** Runs the target at `index` and emits its `result` event; a target that left the catalog fails alone. */
export async function runTargetAt(deps: EngineDeps, at: TargetAt): Promise<TargetResult> {
  const t = at.request.targets[at.index]!
  const entry = deps.catalog().find(t.target)
  // Validated before the run, but settings may have removed the provider since: fail only this column.
  const result = entry ? await runOne(deps, entry, t, at) : goneResult(t.target)
  at.emit({ type: 'result', index: at.index, result })
  return result
}

/** The result of a target whose provider or model left the configuration before it could run. */
function goneResult(target: string): TargetResult {
  return {
    target,
    label: target,
    model: null,
    status: 'error',
    text: '',
    reasoning: '',
    finish_reason: null,
    usage: { input_tokens: null, cached_input_tokens: null, output_tokens: null, reasoning_tokens: null, source: 'none' },
    cost: unknownCost('no-usage'),
    timing: { ttft_ms: null, first_answer_ms: null, total_ms: 0, output_tokens_per_s: null },
    error: { kind: 'bad_request', message: 'this target is no longer configured (settings changed during the run)', status: null },
    attempts: 0,
  }
}

async function runOne(deps: EngineDeps, entry: TargetEntry, t: TargetRequest, at: TargetAt): Promise<TargetResult> {
  const { index, emit } = at
  const outcome = await runTarget(deps, {
    entry,
    messages: t.messages,
    params: at.request.params,
    signal: at.signal,
    hooks: {
      onDelta: (kind, text) => emit({ type: 'delta', index, kind, text }),
      onFirstToken: (ttft_ms) => emit({ type: 'first-token', index, ttft_ms }),
      onRetry: (attempt, wait_ms, reason) => emit({ type: 'retry', index, attempt, wait_ms, reason }),
    },
  })
  return toResult(deps, entry, t, outcome, at.startedAt)
}

async function toResult(
  deps: EngineDeps,
  entry: TargetEntry,
  t: TargetRequest,
  o: TargetOutcome,
  createdAt: Date,
): Promise<TargetResult> {
  const usage = await resolveUsage(t, o)
  const cost = deps.pricer.price({
    providerId: entry.provider.id,
    pricingProvider: entry.provider.pricing,
    builtin: entry.provider.builtin,
    model: entry.model,
    reportedModel: o.model,
    usage,
    reportedCostUsd: o.usage?.reported_cost_usd ?? null,
    at: createdAt,
  })
  return {
    target: t.target,
    label: entry.model.label,
    model: o.model,
    status: o.status,
    text: o.text,
    reasoning: o.reasoning,
    finish_reason: o.finishReason,
    usage,
    cost,
    timing: timing(o, usage),
    error: o.error,
    attempts: o.attempts,
  }
}

/** Reported usage when the upstream sent it; a flagged tokenizer estimate when text exists without it. */
async function resolveUsage(t: TargetRequest, o: TargetOutcome): Promise<Usage> {
  if (o.usage) {
    const { input_tokens, cached_input_tokens, output_tokens, reasoning_tokens } = o.usage
    return { input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, source: 'reported' }
  }
  if (!o.text && !o.reasoning) {
    return { input_tokens: null, cached_input_tokens: null, output_tokens: null, reasoning_tokens: null, source: 'none' }
  }
  const [input, answer, reasoning] = await Promise.all([
    countPromptTokens(t.messages),
    countTextTokens(o.text),
    countTextTokens(o.reasoning),
  ])
  return {
    input_tokens: input,
    // Cache hits cannot be known without the provider saying so.
    cached_input_tokens: null,
    output_tokens: answer + reasoning,
    reasoning_tokens: reasoning,
    source: 'estimated',
  }
}

const round1 = (ms: number) => Math.round(ms * 10) / 10

function timing(o: TargetOutcome, usage: Usage): Timing {
  let rate: number | null = null
  const tokens = usage.output_tokens
  if (o.ttftMs !== null && o.lastTokenMs !== null && tokens !== null && tokens > 1 && o.lastTokenMs > o.ttftMs) {
    rate = Math.round(((tokens - 1) / (o.lastTokenMs - o.ttftMs)) * 1000 * 10) / 10
  }
  return {
    ttft_ms: o.ttftMs === null ? null : round1(o.ttftMs),
    first_answer_ms: o.firstAnswerMs === null ? null : round1(o.firstAnswerMs),
    total_ms: round1(o.totalMs),
    output_tokens_per_s: rate,
  }
}
