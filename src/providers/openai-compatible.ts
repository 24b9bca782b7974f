import OpenAI from 'openai'
import type { ChatMessage, ChatRequestParams, ProviderEntry, StreamPart } from './types.ts'
import { EndpointQuirks, deltaText } from './quirks.ts'
import { classifyError, ProviderError } from './errors.ts'
import { readUsage } from './usage.ts'
import { WIRE_TEXT_MAX, capWireText } from './wire-text.ts'
import { sseEvents } from './sse-events.ts'
import { redactSecrets } from './redact.ts'

/** One chat completion to stream. */
export interface StreamRequest {
  provider: ProviderEntry
  model: string
  messages: ChatMessage[]
  params: ChatRequestParams
  signal: AbortSignal
  /** Called for every event received, SSE comments included (DeepSeek keeps a queued request alive so). */
  onActivity?: () => void
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
        fetch: (url, init) => fetchWithStrongAbort(fetchImpl, url, { ...init, redirect: 'error' }),
      })
      this.clients.set(cacheKey, client)
    }
    return client
  }

  /** Streams one chat completion. Throws ProviderError; ends quietly when `signal` aborts. */
  async *stream(request: StreamRequest): AsyncGenerator<StreamPart> {
    const { provider, model, messages, params, signal, onActivity } = request
    const secrets = provider.apiKey ? [provider.apiKey] : []
    // Each learned quirk removes the field it learned about, so two relearns cover both known quirks.
    let relearns = 0
    for (;;) {
      let stream: AsyncIterable<unknown>
      let contentType: string | null
      const extras = this.quirks.requestExtras(provider, model, params.max_tokens)
      try {
        const { data, response } = await this.client(provider)
          .chat.completions.create(
            {
              model,
              messages,
              stream: true,
              ...(params.temperature !== undefined ? { temperature: params.temperature } : {}),
              ...extras,
            } as OpenAI.ChatCompletionCreateParamsStreaming,
            { signal, ...(onActivity ? { fetchOptions: { [ON_ACTIVITY]: onActivity } as object } : {}) },
          )
          .withResponse()
        stream = data as AsyncIterable<unknown>
        contentType = response.headers.get('content-type')
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
      const seen = { chunks: 0 }
      yield* this.parts(stream, secrets, seen)
      // An HTTP 200 whose body held no event at all (a JSON answer that ignored `stream`, an HTML page at a
      // wrong base_url) is not an empty answer. Not retried: the same request gets the same page.
      if (seen.chunks === 0 && !signal.aborted) {
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

  private async *parts(
    stream: AsyncIterable<unknown>,
    secrets: string[],
    seen: { chunks: number },
  ): AsyncGenerator<StreamPart> {
    let model: string | undefined
    try {
      for await (const raw of stream) {
        seen.chunks++
        const chunk = raw as Record<string, unknown>
        if (model === undefined && typeof chunk.model === 'string' && chunk.model) {
          model = capWireText(chunk.model, WIRE_TEXT_MAX.model)
          yield { type: 'model', model }
        }
        const choices = Array.isArray(chunk.choices) ? (chunk.choices as Array<Record<string, unknown>>) : []
        const choice = choices[0]
        if (choice) {
          const delta = (choice.delta ?? {}) as Record<string, unknown>
          const { text, reasoning } = deltaText(delta)
          if (reasoning) yield { type: 'reasoning-delta', text: reasoning }
          if (text) yield { type: 'text-delta', text }
          if (typeof choice.finish_reason === 'string' && choice.finish_reason) {
            yield { type: 'finish', reason: capWireText(choice.finish_reason, WIRE_TEXT_MAX.finishReason) }
          }
        }
        // Usage may ride on the finish chunk, a `choices: []` chunk, or a later chunk: keep the last one.
        const usage = readUsage(chunk)
        if (usage?.usage) yield { type: 'usage', usage: usage.usage }
        else if (usage && usage.notes.length > 0) yield { type: 'usage-rejected', notes: usage.notes }
      }
    } catch (err) {
      throw err instanceof ProviderError ? err : classifyError(err, secrets)
    }
  }
}

/** Per-request activity callback, carried to the client's fetch through the SDK's `fetchOptions`. */
const ON_ACTIVITY = Symbol('juxta.onActivity')

/**
 * undici follows the signal given to fetch through a WeakRef to an object nothing holds once the response
 * has begun (nodejs/node#55428, nodejs/undici#4984): after a full GC, aborting no longer stops the body,
 * so a closed browser tab or an idle timeout left the upstream streaming to the end (seen in `npm run
 * bench`). Reading the body through a reader that the signal's listener holds makes abort cancel the
 * upstream connection whatever the GC did.
 *
 * The same hop hands the SDK one SSE event per chunk (see sseEvents): its decoder is quadratic otherwise.
 * Activity is reported as bytes arrive, not as events complete: a huge event still streaming in is not idle.
 */
async function fetchWithStrongAbort(
  fetchImpl: typeof fetch,
  url: string | URL | Request,
  withActivity: RequestInit,
): Promise<Response> {
  const { [ON_ACTIVITY]: onActivity, ...init } = withActivity as RequestInit & { [ON_ACTIVITY]?: () => void }
  const res = await fetchImpl(url, init)
  const signal = init.signal
  if (!signal || !res.body) return res
  const reader = res.body.pipeThrough(sseEvents({ onBytes: onActivity })).getReader()
  let output: ReadableStreamDefaultController<Uint8Array> | undefined
  const onAbort = () => {
    try {
      output?.error(signal.reason)
    } catch {
      // already closed or errored
    }
    reader.cancel(signal.reason).catch(() => {})
  }
  signal.addEventListener('abort', onAbort, { once: true })
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        output = controller
      },
      async pull(controller) {
        const { done, value } = await reader.read()
        if (!done) return controller.enqueue(value)
        signal.removeEventListener('abort', onAbort)
        controller.close()
      },
      cancel(reason) {
        signal.removeEventListener('abort', onAbort)
        return reader.cancel(reason)
      },
    },
    { highWaterMark: 0 },
  )
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers })
}
