import OpenAI from 'openai'
import type { ChatMessage, ChatRequestParams, ProviderEntry, StreamPart } from './types.ts'
import { EndpointQuirks, deltaText } from './quirks.ts'
import { classifyError, ProviderError } from './errors.ts'
import { readUsage } from './usage.ts'
import { WIRE_TEXT_MAX, capWireText } from './wire-text.ts'
import type { Readable } from 'node:stream'
import { SseParser, type SseMessage } from './sse-parser.ts'
import { type DeltaTemplate, deltaTemplate, readWithTemplate } from './delta-template.ts'
import { nodeBodyOf } from '../http/node-body.ts'
import { onCut } from '../http/upstream-cut.ts'
import { redactSecrets } from './redact.ts'

/** One chat completion to stream. */
export interface StreamRequest {
  provider: ProviderEntry
  model: string
  messages: ChatMessage[]
  params: ChatRequestParams
  signal: AbortSignal
  /** Called for every piece of the body received, SSE comments included (DeepSeek keeps a queued request alive
   * so), and bytes of an event still arriving: a huge event streaming in is not idle. */
  onActivity?: () => void
}

/** A request and where its parts go, for `pump`. */
export interface PumpRequest extends StreamRequest {
  /** Called synchronously for every part, in order. What it throws ends the stream (the upstream is closed). */
  onPart: (part: StreamPart) => void
}

export interface AdapterOptions {
  /** Time allowed for response headers; the SDK's timeout covers nothing after that. */
  connectTimeoutMs: number
  /** Injected for tests and for the connect-time address guard. */
  fetch?: typeof fetch
}

/**
 * The one adapter for every OpenAI-compatible endpoint: the official SDK, streaming, usage requested,
 * dialects normalised into StreamParts. SDK retries are off: the engine owns the only retry loop.
 */
export class OpenAICompatibleAdapter {
  readonly quirks = new EndpointQuirks()
  private readonly clients = new Map<string, OpenAI>()

  constructor(private readonly options: AdapterOptions) {}

  private client(provider: ProviderEntry): OpenAI {
    const cacheKey = `${provider.id}\n${provider.baseURL}\n${provider.apiKey ?? ''}`
    let client = this.clients.get(cacheKey)
    if (!client) {
      for (const key of this.clients.keys()) if (key.startsWith(`${provider.id}\n`)) this.clients.delete(key)
      const fetchImpl = this.options.fetch ?? fetch
      client = new OpenAI({
        baseURL: provider.baseURL,
        // Keyless local servers still get a placeholder: the SDK insists on one.
        apiKey: provider.apiKey ?? 'no-key',
        maxRetries: 0,
        timeout: this.options.connectTimeoutMs,
        // The SDK would print unparsable upstream lines to the console, past Juxta's redacting log.
        logLevel: 'off',
        // A key must never follow a redirect to another origin.
        fetch: (url, init) => fetchImpl(url, { ...init, redirect: 'error' }),
      })
      this.clients.set(cacheKey, client)
    }
    return client
  }

  /**
   * Streams one chat completion into `onPart`. Throws ProviderError; ends quietly when `signal` aborts.
   *
   * The SDK builds and sends the request (auth, headers, its error classes for a non-2xx answer); the body is
   * read here, straight from the response's reader into the incremental parser and on into parts: no SDK
   * decoder, no async generator per event, no web-stream hop in between (`npm run bench`, CPU per token).
   */
  async pump(request: PumpRequest): Promise<void> {
    const { provider, model, messages, params, signal } = request
    const secrets = provider.apiKey ? [provider.apiKey] : []
    // Each learned quirk removes the field it learned about, so two relearns cover both known quirks.
    let relearns = 0
    for (;;) {
      let response: Response
      const extras = this.quirks.requestExtras(provider, model, params.max_tokens)
      try {
        response = await this.client(provider)
          .chat.completions.create(
            {
              model,
              messages,
              stream: true,
              ...(params.temperature !== undefined ? { temperature: params.temperature } : {}),
              ...extras,
            } as OpenAI.ChatCompletionCreateParamsStreaming,
            { signal },
          )
          .asResponse()
      } catch (err) {
        const error = classifyError(err, secrets)
        if (
          relearns < 2 &&
          error.kind === 'bad_request' &&
          this.quirks.learnFromRejection(provider, model, error.message, error.param, extras)
        ) {
          relearns++
          continue
        }
        throw error
      }
      const chunks = await readBody(response, request, secrets)
      // An HTTP 200 whose body held no event at all (a JSON answer that ignored `stream`, an HTML page at a
      // wrong base_url) is not an empty answer. Not retried: the same request gets the same page.
      if (chunks === 0 && !signal.aborted) {
        const contentType = response.headers.get('content-type')
        throw new ProviderError({
          kind: 'upstream',
          message:
            'the upstream answered without stream events ' +
            `(content-type: ${redactSecrets(contentType ?? 'none', secrets).slice(0, 100)}); ` +
            'is base_url an OpenAI-compatible endpoint?',
          status: 200,
        })
      }
      return
    }
  }

  /** `pump` as an async iterator, for callers that want to pull (the engine itself uses `pump`). */
  async *stream(request: StreamRequest): AsyncGenerator<StreamPart> {
    const queue: StreamPart[] = []
    let wake: (() => void) | null = null
    let ended = false
    let failure: unknown = null
    const local = new AbortController()
    const signal = AbortSignal.any([request.signal, local.signal])
    const onPart = (part: StreamPart) => {
      queue.push(part)
      wake?.()
    }
    void this.pump({ ...request, signal, onPart }).then(
      () => {
        ended = true
        wake?.()
      },
      (err: unknown) => {
        failure = err
        ended = true
        wake?.()
      },
    )
    try {
      for (;;) {
        while (queue.length > 0) yield queue.shift()!
        if (ended) break
        await new Promise<void>((resolve) => {
          wake = resolve
        })
        wake = null
      }
      if (failure) throw failure
    } finally {
      // A consumer that stops early closes the upstream.
      if (!ended) local.abort()
    }
  }
}

/** Bytes read between two turns of the event loop given to other streams and their timers. */
export const YIELD_EVERY_BYTES = 256 * 1024

/**
 * Reads an event-stream body into parts; returns how many data events it held.
 *
 * undici follows the signal given to fetch through a WeakRef to an object nothing holds once the response
 * has begun (nodejs/node#55428, nodejs/undici#4984): after a full GC, aborting no longer stops the body, so
 * a closed browser tab or an idle timeout left the upstream streaming to the end. The abort listener here
 * holds the reader and cancels it, which closes the upstream connection whatever the GC did.
 */
async function readBody(response: Response, request: PumpRequest, secrets: string[]): Promise<number> {
  const node = nodeBodyOf(response)
  if (node) return readNodeBody(node, response, request, secrets)
  const { signal, onActivity } = request
  if (!response.body) return 0
  const reader = response.body.getReader()
  const onAbort = () => {
    reader.cancel(signal.reason).catch(() => {})
  }
  signal.addEventListener('abort', onAbort, { once: true })
  const { state, parser, fromSink } = bodyReader(response, request)
  let finished = false
  try {
    if (signal.aborted) return state.chunks
    let sinceYield = 0
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      onActivity?.()
      parser.push(value)
      // Fair to the other streams of a run: a huge event arriving at full speed must not starve their timers.
      sinceYield += value.length
      if (sinceYield >= YIELD_EVERY_BYTES) {
        sinceYield = 0
        await new Promise<void>((resolve) => setImmediate(resolve))
      }
    }
    if (!signal.aborted) parser.end()
    finished = true
    return state.chunks
  } catch (err) {
    // An abort ends quietly, whatever the read threw on its way out (as the SDK's own stream does).
    if (fromSink(err)) throw err
    if (signal.aborted && !(err instanceof ProviderError)) return state.chunks
    throw err instanceof ProviderError ? err : classifyError(err, secrets)
  } finally {
    signal.removeEventListener('abort', onAbort)
    if (!finished) reader.cancel().catch(() => {})
  }
}

/** readBody for a Node stream body (the relay's own fetch): data events straight into the parser. */
function readNodeBody(body: Readable, response: Response, request: PumpRequest, secrets: string[]): Promise<number> {
  const { signal, onActivity } = request
  const { state, parser, fromSink } = bodyReader(response, request)
  return new Promise<number>((resolve, reject) => {
    let sinceYield = 0
    let settled = false
    // Cut by `cutUpstreams` (the client left): the body's own error and close are its echo, not the answer's
    // end; the signal's abort, a turn later, ends the read as cancelled.
    let cut = false
    let uncut = () => {}
    const finish = (err: unknown) => {
      if (settled) return
      settled = true
      uncut()
      signal.removeEventListener('abort', onAbort)
      body.off('data', onData)
      if (err === null) return resolve(state.chunks)
      // An abort ends quietly, whatever the read threw on its way out (as the SDK's own stream does).
      if (fromSink(err)) return reject(err)
      if (signal.aborted && !(err instanceof ProviderError)) return resolve(state.chunks)
      reject(err instanceof ProviderError ? err : classifyError(err, secrets))
    }
    const onAbort = () => {
      body.destroy()
      finish(null)
    }
    const onData = (chunk: Buffer) => {
      onActivity?.()
      try {
        parser.push(chunk)
      } catch (err) {
        body.destroy()
        return finish(err)
      }
      // Fair to the other streams of a run: a huge event arriving at full speed must not starve their timers.
      sinceYield += chunk.length
      if (sinceYield >= YIELD_EVERY_BYTES) {
        sinceYield = 0
        body.pause()
        setImmediate(() => body.resume())
      }
    }
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    uncut = onCut(signal, () => {
      cut = true
      body.destroy()
    })
    body.on('data', onData)
    body.once('end', () => {
      if (settled) return
      try {
        parser.end()
      } catch (err) {
        return finish(err)
      }
      finish(null)
    })
    // As fetch words it: a body that broke off is "terminated", with the socket's error as the cause.
    body.once('error', (err) => {
      if (!cut) finish(new TypeError('terminated', { cause: err }))
    })
    // Destroyed without an error or an end (a cut connection): the answer stops here.
    body.once('close', () => {
      if (!cut) finish(signal.aborted ? null : new Error('terminated'))
    })
  })
}

/** A parser feeding the request's parts, and how to tell what the consumer threw from what the upstream did. */
function bodyReader(response: Response, request: PumpRequest) {
  const state: ReadState = { chunks: 0, done: false, model: undefined, template: null, misses: 0 }
  // What the consumer throws goes back to it as it was, not classified as an upstream failure.
  let sinkError: unknown = null
  const onPart = (part: StreamPart) => {
    try {
      request.onPart(part)
    } catch (err) {
      sinkError = err
      throw err
    }
  }
  const parser = new SseParser((message) => onMessage(message, state, response, onPart))
  return { state, parser, fromSink: (err: unknown) => sinkError !== null && err === sinkError }
}

interface ReadState {
  /** Data events seen (JSON chunks; `[DONE]` excluded). */
  chunks: number
  /** `[DONE]` was seen: later events are ignored (the SDK's rule). */
  done: boolean
  model: string | undefined
  /** The last common delta chunk, to read the next ones from (see delta-template.ts), and its finish reason. */
  template: (DeltaTemplate & { finish: string | null }) | null
  /** Chunks parsed since the template last read one: a stream whose envelope changes stops making templates. */
  misses: number
}

/** Chunks parsed without the template reading any, past which a stream makes no more templates. */
const MAX_TEMPLATE_MISSES = 8

/** One event of the body into parts, with the SDK's rules: `[DONE]` ends it, a `data.error` is an API error. */
function onMessage(message: SseMessage, state: ReadState, response: Response, onPart: (p: StreamPart) => void) {
  if (state.done) return
  if (message.data.startsWith('[DONE]')) {
    state.done = true
    return
  }
  // The common delta read from the stream's previous chunk, without JSON.parse: exact (see delta-template.ts).
  const { template } = state
  if (template) {
    const content = readWithTemplate(message.data, template)
    if (content !== undefined) {
      if (message.event?.startsWith('thread.')) return
      state.chunks++
      state.misses = 0
      if (content) onPart({ type: 'text-delta', text: content })
      if (template.finish) onPart({ type: 'finish', reason: template.finish })
      return
    }
  }
  // SyntaxError on a malformed line: classified as "malformed response from upstream".
  const chunk = JSON.parse(message.data) as Record<string, unknown> | null
  // OpenAI Assistants events; never part of a chat completion stream.
  if (message.event?.startsWith('thread.')) return
  if (chunk === null || typeof chunk !== 'object') {
    state.chunks++
    return
  }
  if (chunk.error) throw new OpenAI.APIError(undefined, chunk.error as object, undefined, response.headers)
  state.chunks++
  if (state.model === undefined && typeof chunk.model === 'string' && chunk.model) {
    state.model = capWireText(chunk.model, WIRE_TEXT_MAX.model)
    onPart({ type: 'model', model: state.model })
  }
  const choices = chunk.choices
  const choice = Array.isArray(choices) ? (choices[0] as Record<string, unknown> | undefined) : undefined
  if (choice) {
    const delta = (choice.delta ?? {}) as Record<string, unknown>
    // The common delta: plain string content and nothing else to look at.
    if (typeof delta.content === 'string' && delta.reasoning_content === undefined && delta.reasoning === undefined) {
      if (delta.content) onPart({ type: 'text-delta', text: delta.content })
      if (chunk.usage === undefined && chunk.x_groq === undefined)
        learnTemplate(message.data, delta.content, choice, state)
    } else {
      const { text, reasoning } = deltaText(delta)
      if (reasoning) onPart({ type: 'reasoning-delta', text: reasoning })
      if (text) onPart({ type: 'text-delta', text })
    }
    if (typeof choice.finish_reason === 'string' && choice.finish_reason) {
      onPart({ type: 'finish', reason: capWireText(choice.finish_reason, WIRE_TEXT_MAX.finishReason) })
    }
  }
  // Usage may ride on the finish chunk, a `choices: []` chunk, or a later chunk: keep the last one.
  if (chunk.usage === undefined && chunk.x_groq === undefined) return
  const usage = readUsage(chunk)
  if (usage?.usage) onPart({ type: 'usage', usage: usage.usage })
  else if (usage && usage.notes.length > 0) onPart({ type: 'usage-rejected', notes: usage.notes })
}

/** Makes `data` (a common delta chunk, just parsed) the stream's template, unless its envelope keeps changing. */
function learnTemplate(data: string, content: string, choice: Record<string, unknown>, state: ReadState): void {
  if (state.misses >= MAX_TEMPLATE_MISSES) return
  state.misses++
  const template = deltaTemplate(data, content)
  if (!template) return
  const reason = choice.finish_reason
  const finish = typeof reason === 'string' && reason ? capWireText(reason, WIRE_TEXT_MAX.finishReason) : null
  state.template = { ...template, finish }
}
