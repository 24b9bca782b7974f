import type { RunSettings } from '../config/schema.ts'
import type { Catalog } from '../providers/catalog.ts'
import type { OpenAICompatibleAdapter } from '../providers/openai-compatible.ts'
import { type ReportedUsage, type TargetEntry, imagePartsOf } from '../providers/types.ts'
import type { PriceQuery, Pricer } from '../pricing/types.ts'
import { type Cost, type TargetResult, type Timing, type Usage, unknownCost } from '../domain/types.ts'
import { WIRE_TEXT_MAX, capWireText } from '../providers/wire-text.ts'
import { redactSecrets } from '../providers/redact.ts'
import { runTarget, type TargetOutcome } from './run-target.ts'
import { AfterCut } from './after-cut.ts'
import { countPromptTokens, countTextTokens } from '../tokens/token-count.ts'
import type { CompareRequest, RunEvent, TargetRequest } from './types.ts'

export interface EngineDeps {
  adapter: OpenAICompatibleAdapter
  catalog: () => Catalog
  pricer: Pricer
  settings: RunSettings
  /** Where the engine reports its own failures (a bug in post-processing, a consumer that threw). */
  log?: (line: string) => void
  /** Known API keys, removed from any error text the engine writes itself. */
  secrets?: () => Iterable<string | undefined>
  /** Where cancelled targets wait before their post-processing; one per process by default. */
  afterCut?: AfterCut
}

const sharedAfterCut = new AfterCut()

export interface RunOptions {
  signal: AbortSignal
  onEvent?: (event: RunEvent) => void
}

/**
 * Runs every target of a compare in parallel. Each target fails alone; the promise resolves with one
 * result per target, in request order, once all have ended.
 */
export async function runCompare(
  deps: EngineDeps,
  request: CompareRequest,
  options: RunOptions,
): Promise<TargetResult[]> {
  const emit = safeEmit(deps, options.onEvent)
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

/**
 * Runs the target at `index` and emits its `result` event. Never throws: a target that left the catalog, or
 * one whose processing failed, ends only its own column.
 */
export async function runTargetAt(deps: EngineDeps, at: TargetAt): Promise<TargetResult> {
  const t = at.request.targets[at.index]!
  let result: TargetResult
  try {
    const entry = deps.catalog().find(t.target)
    // Validated before the run, but settings may have removed the provider since: fail only this column.
    result = entry ? await runOne(deps, entry, t, at) : goneResult(t.target)
  } catch (err) {
    // runOne contains its own failures; this is the last line that keeps one column from failing the run.
    result = crashedResult(deps, t.target, err)
    report(deps, `engine: target ${t.target} failed unexpectedly`, err)
  }
  at.emit({ type: 'result', index: at.index, result })
  return result
}

/** A consumer that throws (a closed stream, a storage bug) must not end a target or the run. */
export function safeEmit(
  deps: EngineDeps,
  onEvent: ((event: RunEvent) => void) | undefined,
): (event: RunEvent) => void {
  if (!onEvent) return () => {}
  let reported = false
  return (event) => {
    try {
      onEvent(event)
    } catch (err) {
      if (!reported) report(deps, 'engine: a run event consumer failed', err)
      reported = true
    }
  }
}

function report(deps: EngineDeps, what: string, err: unknown): void {
  deps.log?.(`${what}: ${describe(deps, err instanceof Error ? err.message : err, WIRE_TEXT_MAX.errorMessage)}`)
}

/** An unexpected error as text fit for a log line, a stored error or a cost note: redacted and bounded. */
function describe(deps: EngineDeps, err: unknown, max: number): string {
  return capWireText(redactSecrets(String(err), deps.secrets?.() ?? []), max)
}

const NO_USAGE: Usage = {
  input_tokens: null,
  cached_input_tokens: null,
  output_tokens: null,
  reasoning_tokens: null,
  source: 'none',
}

/** A target whose processing threw before any result existed. */
function crashedResult(deps: EngineDeps, target: string, err: unknown): TargetResult {
  return {
    ...goneResult(target),
    cost: unknownCost('pricing-failed'),
    error: {
      kind: 'upstream',
      message: `internal error: ${describe(deps, err, WIRE_TEXT_MAX.errorMessage)}`,
      status: null,
    },
  }
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
    usage: NO_USAGE,
    cost: unknownCost('no-usage'),
    timing: { ttft_ms: null, first_answer_ms: null, total_ms: 0, output_tokens_per_s: null },
    error: {
      kind: 'bad_request',
      message: 'this target is no longer configured (settings changed during the run)',
      status: null,
    },
    attempts: 0,
  }
}

/** Runs a single target. Never throws: a failure ends only this column. */
async function runOne(deps: EngineDeps, entry: TargetEntry, t: TargetRequest, at: TargetAt): Promise<TargetResult> {
  const { index, emit } = at
  let outcome: TargetOutcome
  try {
    outcome = await runTarget(deps, {
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
  } catch (err) {
    // runTarget does not throw by design; should it ever, the column fails and the run goes on.
    report(deps, `engine: target ${t.target} failed unexpectedly`, err)
    return { ...crashedResult(deps, t.target, err), label: entry.model.label }
  }
  try {
    // A cut rarely comes alone (Stop, a closed tab, shutdown): its estimate waits until the cutting is over.
    if (outcome.status === 'cancelled') await (deps.afterCut ?? sharedAfterCut).wait()
    return await toResult(deps, { entry, t, o: outcome }, at.startedAt)
  } catch (err) {
    // Post-processing (usage estimate, pricing, timing) failed: keep the answer, the cost is unknown.
    report(deps, `engine: post-processing of ${t.target} failed`, err)
    return salvagedResult(deps, { entry, t, o: outcome }, err)
  }
}

/** A target's outcome as received, with what it was asked: the material of its result. */
interface Finished {
  entry: TargetEntry
  t: TargetRequest
  o: TargetOutcome
}

/** The fields of a result taken as they were received. */
function resultBase({ entry, t, o }: Finished): Omit<TargetResult, 'usage' | 'cost' | 'timing'> {
  return {
    target: t.target,
    label: entry.model.label,
    model: o.model,
    status: o.status,
    text: o.text,
    reasoning: o.reasoning,
    finish_reason: o.finishReason,
    error: o.error,
    attempts: o.attempts,
  }
}

async function toResult(deps: EngineDeps, finished: Finished, createdAt: Date): Promise<TargetResult> {
  const { entry, t, o } = finished
  const usage = await resolveUsage(t, o)
  const priced = safePrice(deps, {
    providerId: entry.provider.id,
    pricingProvider: entry.provider.pricing,
    builtin: entry.provider.builtin,
    model: entry.model,
    reportedModel: o.model,
    usage,
    reportedCostUsd: o.usage?.reported_cost_usd ?? null,
    at: createdAt,
  })
  // Upstream numbers rejected on the way (providers/usage.ts) are said beside the cost.
  const notes = [...(o.usage?.notes ?? o.rejectedUsage ?? []), ...(priced.notes ?? [])]
  const cost: Cost = notes.length > 0 ? { ...priced, notes } : priced
  return { ...resultBase(finished), usage, cost, timing: timing(o, usage) }
}

/** Below the 500 characters history's import format allows. */
const MAX_PRICE_SOURCE = 480

/** Pricing never throws out of a column: a failure there is an unknown cost with its reason. */
function safePrice(deps: EngineDeps, query: PriceQuery): Cost {
  try {
    const cost = deps.pricer.price(query)
    // Provenance names ids that may come from an upstream (the reported model): bounded like every stored field.
    if (cost.price_source && cost.price_source.length > MAX_PRICE_SOURCE) {
      return { ...cost, price_source: capWireText(cost.price_source, MAX_PRICE_SOURCE) }
    }
    return cost
  } catch (err) {
    return { ...unknownCost('pricing-failed'), notes: [`pricing failed: ${describe(deps, err, 200)}`] }
  }
}

/** The outcome as it was received, when turning it into a result failed: no estimate, no price. */
function salvagedResult(deps: EngineDeps, finished: Finished, err: unknown): TargetResult {
  const { o } = finished
  return {
    ...resultBase(finished),
    usage: o.usage ? reportedUsage(o.usage) : NO_USAGE,
    cost: { ...unknownCost('pricing-failed'), notes: [`internal error: ${describe(deps, err, 200)}`] },
    timing: { ttft_ms: null, first_answer_ms: null, total_ms: round1(o.totalMs), output_tokens_per_s: null },
  }
}

/** The token counts an upstream reported, as a result's usage. */
function reportedUsage(u: ReportedUsage): Usage {
  const { input_tokens, cached_input_tokens, output_tokens, reasoning_tokens } = u
  return { input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, source: 'reported' }
}

/** Reported usage when the upstream sent it; a flagged tokenizer estimate when text exists without it. */
async function resolveUsage(t: TargetRequest, o: TargetOutcome): Promise<Usage> {
  if (o.usage) return reportedUsage(o.usage)
  if (!o.text && !o.reasoning) return NO_USAGE
  const [input, answer, reasoning] = await Promise.all([
    countPromptTokens(t.messages),
    countTextTokens(o.text),
    countTextTokens(o.reasoning),
  ])
  // Images become input tokens by each provider's own rule (tiles, detail): without its count the input is
  // unknown, and so is the cost, rather than a text-only figure passed off as the whole.
  const withImages = t.messages.some((m) => imagePartsOf(m.content).length > 0)
  return {
    input_tokens: withImages ? null : input,
    // Cache hits cannot be known without the provider saying so.
    cached_input_tokens: null,
    output_tokens: answer + reasoning,
    reasoning_tokens: reasoning,
    source: 'estimated',
  }
}

const round1 = (ms: number) => Math.round(ms * 10) / 10
/** Far above any real decoder; the bound history's import format keeps too. */
const MAX_TOKENS_PER_S = 1e9

function timing(o: TargetOutcome, usage: Usage): Timing {
  let rate: number | null = null
  const tokens = usage.output_tokens
  if (o.ttftMs !== null && o.lastTokenMs !== null && tokens !== null && tokens > 1 && o.lastTokenMs > o.ttftMs) {
    rate = Math.round(((tokens - 1) / (o.lastTokenMs - o.ttftMs)) * 1000 * 10) / 10
    // Absurd (but whole) reported counts give absurd speeds: no figure rather than a false one.
    if (!(rate <= MAX_TOKENS_PER_S)) rate = null
  }
  return {
    ttft_ms: o.ttftMs === null ? null : round1(o.ttftMs),
    first_answer_ms: o.firstAnswerMs === null ? null : round1(o.firstAnswerMs),
    total_ms: round1(o.totalMs),
    output_tokens_per_s: rate,
  }
}
