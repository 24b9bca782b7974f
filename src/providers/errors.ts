import OpenAI from 'openai'
import type { ErrorKind, TargetError } from './types.ts'
import { redactSecrets } from './redact.ts'

/** An upstream failure already classified and redacted; safe to show, store and log. */
export class ProviderError extends Error {
  readonly kind: ErrorKind
  readonly status: number | null
  /** Milliseconds the upstream asked us to wait (Retry-After), when it said. */
  readonly retryAfterMs: number | null
  readonly code: string | null
  readonly param: string | null
  constructor(e: TargetError & { retryAfterMs?: number | null; code?: string | null; param?: string | null }) {
    super(e.message)
    this.name = 'ProviderError'
    this.kind = e.kind
    this.status = e.status
    this.retryAfterMs = e.retryAfterMs ?? null
    this.code = e.code ?? null
    this.param = e.param ?? null
  }
  toJSON(): TargetError {
    return { kind: this.kind, message: this.message, status: this.status }
  }
}

const MAX_MESSAGE = 500

function clean(message: string, secrets: string[]): string {
  const text = redactSecrets(message.replace(/\s+/g, ' ').trim(), secrets)
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text
}

function retryAfterMs(headers: Headers | undefined): number | null {
  if (!headers) return null
  const ms = Number(headers.get('retry-after-ms'))
  if (Number.isFinite(ms) && ms > 0) return ms
  const raw = headers.get('retry-after')
  if (!raw) return null
  const seconds = Number(raw)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(raw)
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : null
}

function kindForStatus(status: number, text: string): ErrorKind {
  if (status === 401 || status === 403) return 'auth'
  if (status === 402) return 'quota'
  if (status === 429) return /quota|billing|balance|credit/i.test(text) ? 'quota' : 'rate_limit'
  if (status === 408 || status === 504) return 'timeout'
  if (status >= 500) return 'upstream'
  return 'bad_request'
}

/** Upstream message of an SDK error, without the SDK's "401 " prefix. */
function upstreamMessage(err: InstanceType<typeof OpenAI.APIError>): string {
  const body = err.error as { message?: unknown } | undefined
  if (body && typeof body.message === 'string' && body.message) return body.message
  return err.message.replace(/^\d{3}\s+/, '')
}

/** Classifies whatever the SDK or the stream threw into a redacted, user-facing error. */
export function classifyError(err: unknown, secrets: string[]): ProviderError {
  if (err instanceof ProviderError) return err
  if (err instanceof OpenAI.APIConnectionTimeoutError) {
    return new ProviderError({
      kind: 'timeout',
      message: 'no response headers before the connect timeout',
      status: null,
    })
  }
  if (err instanceof OpenAI.APIUserAbortError) {
    return new ProviderError({ kind: 'cancelled', message: 'request aborted', status: null })
  }
  if (err instanceof OpenAI.APIConnectionError) {
    // undici nests the useful part: APIConnectionError → TypeError "fetch failed" → Error { code: ECONNREFUSED }.
    const detail = causeCode(err) ?? innermostMessage(err)
    return new ProviderError({ kind: 'network', message: clean(`connection failed: ${detail}`, secrets), status: null })
  }
  if (err instanceof OpenAI.APIError) {
    const text = upstreamMessage(err)
    const body = (err.error ?? {}) as { code?: unknown; param?: unknown }
    const code = typeof body.code === 'string' ? body.code : null
    const param = typeof body.param === 'string' ? body.param : null
    if (err.status === undefined) {
      // The SDK throws this for an error sent inside an HTTP 200 stream (OpenRouter data error, Groq event: error).
      return new ProviderError({
        kind: 'upstream',
        message: clean(`error in stream: ${text}`, secrets),
        status: null,
        code,
        param,
      })
    }
    const kind = kindForStatus(err.status, `${text} ${code ?? ''}`)
    const prefix = kind === 'auth' ? `authentication failed (${err.status})` : `HTTP ${err.status}`
    return new ProviderError({
      kind,
      message: clean(`${prefix}: ${text}`, secrets),
      status: err.status,
      retryAfterMs: retryAfterMs(err.headers as Headers | undefined),
      code,
      param,
    })
  }
  if (err instanceof SyntaxError) {
    return new ProviderError({
      kind: 'upstream',
      message: 'malformed response from upstream (invalid JSON)',
      status: null,
    })
  }
  const e = err as { name?: string; message?: string }
  const code = causeCode(err)
  const message = e?.message === 'terminated' ? 'connection closed mid-stream' : (e?.message ?? String(err))
  return new ProviderError({
    kind: 'network',
    message: clean(code ? `${message} (${code})` : message, secrets),
    status: null,
  })
}

type Chained = { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown }

/** The first error code along the cause chain (AggregateError included), e.g. ECONNREFUSED, UND_ERR_SOCKET. */
function causeCode(err: unknown): string | undefined {
  const seen = new Set<unknown>()
  const queue: unknown[] = [err]
  while (queue.length > 0 && seen.size < 10) {
    const e = queue.shift() as Chained | undefined
    if (!e || typeof e !== 'object' || seen.has(e)) continue
    seen.add(e)
    if (typeof e.code === 'string' && e.code) return e.code
    if (e.cause) queue.push(e.cause)
    if (Array.isArray(e.errors)) queue.push(...e.errors)
  }
  return undefined
}

function innermostMessage(err: unknown): string {
  let message = String((err as Chained)?.message ?? err)
  let e = (err as Chained)?.cause as Chained | undefined
  for (let depth = 0; e && typeof e === 'object' && depth < 10; depth++, e = e.cause as Chained | undefined) {
    if (typeof e.message === 'string' && e.message) message = e.message
  }
  return message
}
