import { performance } from 'node:perf_hooks'
import type { RunSettings } from '../config/schema.ts'
import type { OpenAICompatibleAdapter } from '../providers/openai-compatible.ts'
import { ProviderError } from '../providers/errors.ts'
import type {
  ChatMessage,
  ChatRequestParams,
  ReportedUsage,
  StreamPart,
  TargetEntry,
  TargetError,
} from '../providers/types.ts'
import type { TargetStatus } from '../domain/types.ts'
import { detach } from '../tokens/token-count.ts'
import { WIRE_TEXT_MAX, capWireText } from '../providers/wire-text.ts'
import { linkCuts } from '../http/upstream-cut.ts'

export interface TargetOutcome {
  status: TargetStatus
  text: string
  reasoning: string
  finishReason: string | null
  model: string | null
  usage: ReportedUsage | null
  /** Notes of a usage whose counts were rejected (see providers/usage.ts); null when none was. */
  rejectedUsage: string[] | null
  error: TargetError | null
  attempts: number
  /** Monotonic marks relative to the request start, in ms. */
  ttftMs: number | null
  firstAnswerMs: number | null
  lastTokenMs: number | null
  totalMs: number
}

export interface TargetHooks {
  onDelta(kind: 'text' | 'reasoning', text: string): void
  onFirstToken(ttftMs: number): void
  onRetry(attempt: number, waitMs: number, reason: string): void
}

const RETRYABLE = new Set(['rate_limit', 'upstream', 'network'])

/** What runs every target: the one adapter and the run limits. */
export interface TargetRunner {
  adapter: OpenAICompatibleAdapter
  settings: RunSettings
}

/** One target to run: its provider and model, the conversation it sees, and how to report progress. */
export interface TargetCall {
  entry: TargetEntry
  messages: ChatMessage[]
  params: ChatRequestParams
  signal: AbortSignal
  hooks: TargetHooks
}

/**
 * Runs one target to its end: retries only before the first token, an idle timer between chunks, a total
 * deadline, and cancellation from `signal`. Never throws; a failure keeps the partial text.
 */
export async function runTarget(runner: TargetRunner, call: TargetCall): Promise<TargetOutcome> {
  const { adapter, settings } = runner
  const { entry, messages, params, signal, hooks } = call
  const start = performance.now()
  const out: TargetOutcome = {
    status: 'ok',
    text: '',
    reasoning: '',
    finishReason: null,
    model: null,
    usage: null,
    rejectedUsage: null,
    error: null,
    attempts: 0,
    ttftMs: null,
    firstAnswerMs: null,
    lastTokenMs: null,
    totalMs: 0,
  }
  const partContext: PartContext = { settings, hooks, start, text: [], reasoning: [], chars: 0 }
  const idleMs = entry.provider.idleTimeoutMs ?? settings.idle_timeout_ms
  let timedOut: string | null = null
  const deadline = new AbortController()
  const deadlineTimer = setTimeout(() => {
    timedOut = `no end after ${settings.deadline_ms} ms (deadline)`
    deadline.abort()
  }, settings.deadline_ms)

  try {
    for (;;) {
      out.attempts++
      // A fresh controller per attempt: the SDK leaks listeners on long-lived signals.
      const attempt = new AbortController()
      const idle = setTimeout(() => {
        timedOut = `no data for ${idleMs} ms (idle timeout)`
        attempt.abort()
      }, idleMs)
      const attemptSignal = AbortSignal.any([signal, deadline.signal, attempt.signal])
      linkCuts(attemptSignal, signal)
      try {
        // Any event counts as life, keep-alive comments included: a request queued upstream is not idle.
        const alive = () => idle.refresh()
        await adapter.pump({
          provider: entry.provider,
          model: entry.model.id,
          messages,
          params,
          signal: attemptSignal,
          onActivity: alive,
          onPart: (part) => onPart(out, part, partContext),
        })
        if (attemptSignal.aborted) throw new ProviderError({ kind: 'cancelled', message: 'aborted', status: null })
        // Every OpenAI-compatible server ends an answer with a finish reason, usage, or both. A stream that just
        // stops without either was cut off, and its text must not pass for a whole answer.
        if (out.finishReason === null && out.usage === null && out.rejectedUsage === null) {
          throw new ProviderError({
            kind: 'upstream',
            message: 'the stream ended without a finish reason or usage: the answer may be cut off',
            status: null,
          })
        }
        return out
      } catch (err) {
        // The idle timer guards this attempt's stream only, not the wait before the next attempt.
        clearTimeout(idle)
        const error =
          err instanceof ProviderError
            ? err
            : new ProviderError({
                kind: 'upstream',
                message: capWireText(String(err), WIRE_TEXT_MAX.errorMessage),
                status: null,
              })
        if (signal.aborted)
          return fail(out, 'cancelled', {
            kind: 'cancelled',
            message: 'cancelled before the answer was complete',
            status: null,
          })
        if (timedOut) return fail(out, 'timeout', { kind: 'timeout', message: timedOut, status: null })
        const started = out.ttftMs !== null
        const waitMs = retryWait(error, out.attempts, settings)
        if (started || waitMs === null || out.attempts > settings.max_retries) {
          return fail(out, 'error', error.toJSON())
        }
        hooks.onRetry(out.attempts + 1, waitMs, error.message)
        if (!(await sleep(waitMs, AbortSignal.any([signal, deadline.signal])))) {
          if (timedOut) return fail(out, 'timeout', { kind: 'timeout', message: timedOut, status: null })
          return fail(out, 'cancelled', {
            kind: 'cancelled',
            message: 'cancelled while waiting to retry',
            status: null,
          })
        }
      } finally {
        clearTimeout(idle)
      }
    }
  } finally {
    clearTimeout(deadlineTimer)
    out.text = partContext.text.join('')
    out.reasoning = partContext.reasoning.join('')
    out.totalMs = performance.now() - start
  }
}

interface PartContext {
  settings: RunSettings
  hooks: TargetHooks
  start: number
  /**
   * The answer's pieces, joined once at the end: a string grown by `+=` per token is a tree of one node per
   * token that lives as long as the stream, which every young-generation GC copies (`npm run bench`, CPU per
   * relayed token).
   */
  text: string[]
  reasoning: string[]
  /** Characters of both, for the output limit. */
  chars: number
}

/** One part of the stream into the outcome; throws a ProviderError when the answer grows past its limit. */
function onPart(out: TargetOutcome, part: StreamPart, context: PartContext): void {
  const { settings, hooks, start } = context
  switch (part.type) {
    case 'text-delta':
    case 'reasoning-delta': {
      const now = performance.now() - start
      if (out.ttftMs === null) {
        out.ttftMs = now
        hooks.onFirstToken(now)
      }
      out.lastTokenMs = now
      if (part.type === 'text-delta') out.firstAnswerMs ??= now
      const room = settings.max_output_chars - context.chars
      appendDelta(
        context,
        part.type,
        part.text.length > room ? detach(part.text.slice(0, Math.max(0, room))) : part.text,
      )
      if (part.text.length > room) {
        // A runaway or hostile upstream must not fill memory, history and the page. Text was shown, so this is
        // never retried.
        throw new ProviderError({
          kind: 'upstream',
          message:
            `answer over the ${settings.max_output_chars.toLocaleString('en-US')}-character limit; ` +
            'the rest was not read',
          status: null,
        })
      }
      break
    }
    case 'usage':
      out.usage = part.usage
      out.rejectedUsage = null
      break
    case 'usage-rejected':
      // A valid usage seen earlier stays: only the last valid one counts.
      if (out.usage === null) out.rejectedUsage = part.notes
      break
    case 'finish':
      out.finishReason = part.reason
      break
    case 'model':
      out.model = part.model
      break
  }
}

function appendDelta(context: PartContext, type: 'text-delta' | 'reasoning-delta', text: string): void {
  if (!text) return
  context.chars += text.length
  if (type === 'text-delta') context.text.push(text)
  else context.reasoning.push(text)
  context.hooks.onDelta(type === 'text-delta' ? 'text' : 'reasoning', text)
}

function fail(out: TargetOutcome, status: TargetStatus, error: TargetError): TargetOutcome {
  out.status = status
  out.error = error
  return out
}

/** Milliseconds to wait before another attempt, or null when the error is not worth retrying. */
function retryWait(error: ProviderError, attempts: number, settings: RunSettings): number | null {
  if (!RETRYABLE.has(error.kind)) return null
  if (error.status !== null && error.status < 500 && error.status !== 429) return null
  if (error.retryAfterMs !== null) return error.retryAfterMs <= settings.retry_after_cap_ms ? error.retryAfterMs : null
  const base = 250 * 2 ** (attempts - 1)
  return Math.min(base + Math.random() * base * 0.25, settings.retry_after_cap_ms)
}

function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false)
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve(true)
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      resolve(false)
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
