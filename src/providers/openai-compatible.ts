import OpenAI from 'openai'
import type { ChatMessage, ChatRequestParams, ProviderEntry, StreamPart } from './types.ts'
import { EndpointQuirks, deltaText } from './quirks.ts'
import { classifyError, ProviderError } from './errors.ts'
import { usageFrom } from './usage.ts'

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
        // A key must never follow a redirect to another origin.
        fetch: (url, init) => fetchImpl(url, { ...init, redirect: 'error' }),
      })
      this.clients.set(cacheKey, client)
    }
    return client
  }

  /** Streams one chat completion. Throws ProviderError; ends quietly when `signal` aborts. */
  async *stream(
    provider: ProviderEntry,
    model: string,
    messages: ChatMessage[],
    params: ChatRequestParams,
    signal: AbortSignal,
  ): AsyncGenerator<StreamPart> {
    const secrets = provider.apiKey ? [provider.apiKey] : []
    let relearned = false
    for (;;) {
      let stream: AsyncIterable<unknown>
      try {
        stream = (await this.client(provider).chat.completions.create(
          {
            model,
            messages,
            stream: true,
            ...(params.temperature !== undefined ? { temperature: params.temperature } : {}),
            ...this.quirks.requestExtras(provider, model, params.max_tokens),
          } as OpenAI.ChatCompletionCreateParamsStreaming,
          { signal },
        )) as AsyncIterable<unknown>
      } catch (err) {
        const error = classifyError(err, secrets)
        if (!relearned && error.kind === 'bad_request' && this.quirks.learnFromRejection(provider, model, error.message, error.param)) {
          relearned = true
          continue
        }
        throw error
      }
      yield* this.parts(stream, secrets)
      return
    }
  }

  private async *parts(stream: AsyncIterable<unknown>, secrets: string[]): AsyncGenerator<StreamPart> {
    let model: string | undefined
    try {
      for await (const raw of stream) {
        const chunk = raw as Record<string, unknown>
        if (model === undefined && typeof chunk.model === 'string' && chunk.model) {
          model = chunk.model
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
            yield { type: 'finish', reason: choice.finish_reason }
          }
        }
        // Usage may ride on the finish chunk, a `choices: []` chunk, or a later chunk: keep the last one.
        const usage = usageFrom(chunk)
        if (usage) yield { type: 'usage', usage }
      }
    } catch (err) {
      throw err instanceof ProviderError ? err : classifyError(err, secrets)
    }
  }
}
