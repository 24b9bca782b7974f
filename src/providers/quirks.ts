import type { ProviderEntry } from './types.ts'

/**
 * Provider differences that change what we send, in one place. Learned quirks (an endpoint that rejected
 * `stream_options`, a model that wants `max_completion_tokens`) are remembered for the process lifetime.
 */
export class EndpointQuirks {
  private readonly noStreamOptions = new Set<string>()
  private readonly completionTokensParam = new Set<string>()

  /** Extra body fields for a request to this endpoint. */
  requestExtras(provider: ProviderEntry, model: string, maxTokens: number | undefined): Record<string, unknown> {
    const extras: Record<string, unknown> = {}
    if (!this.noStreamOptions.has(provider.baseURL)) extras.stream_options = { include_usage: true }
    if (isOpenRouter(provider.baseURL)) extras.usage = { include: true }
    if (maxTokens !== undefined) {
      const key = this.wantsCompletionTokens(provider.baseURL, model) ? 'max_completion_tokens' : 'max_tokens'
      extras[key] = maxTokens
    }
    return extras
  }

  /**
   * True when a 400 names a field we sent that the endpoint does not take (`stream_options`, or `max_tokens`
   * where it wants `max_completion_tokens`); remembers it so the retry and later requests go without it.
   * `sent` is what `requestExtras` returned for the rejected request: a field not sent is nothing to learn.
   */
  learnFromRejection(
    provider: ProviderEntry,
    model: string,
    message: string,
    param: string | null,
    sent: Record<string, unknown>,
  ): boolean {
    if ('stream_options' in sent && /stream_options|include_usage/i.test(`${param ?? ''} ${message}`)) {
      this.noStreamOptions.add(provider.baseURL)
      return true
    }
    const key = `${provider.baseURL} ${model}`
    if ('max_tokens' in sent && (param === 'max_tokens' || /max_completion_tokens/.test(message))) {
      this.completionTokensParam.add(key)
      return true
    }
    return false
  }

  private wantsCompletionTokens(baseURL: string, model: string): boolean {
    if (this.completionTokensParam.has(`${baseURL} ${model}`)) return true
    // OpenAI's reasoning models reject max_tokens outright (fixtures/openai_400_unsupported-parameter.json).
    return new URL(baseURL).hostname === 'api.openai.com' && /^(o\d|gpt-5)/.test(model)
  }
}

function isOpenRouter(baseURL: string): boolean {
  return new URL(baseURL).hostname.endsWith('openrouter.ai')
}

type Json = Record<string, unknown>

/**
 * Reasoning and answer text of one delta. Reasoning arrives as `reasoning_content` (DeepSeek, llama.cpp),
 * `reasoning` (OpenRouter, Groq, Ollama) or as Mistral `thinking` parts inside an array `content`.
 */
export function deltaText(delta: Json): { text: string; reasoning: string } {
  let text = ''
  let reasoning = ''
  const content = delta.content
  if (typeof content === 'string') text = content
  else if (Array.isArray(content)) {
    for (const part of content as Json[]) {
      if (part?.type === 'text' && typeof part.text === 'string') text += part.text
      else if (part?.type === 'thinking') reasoning += partsText(part.thinking)
    }
  }
  if (typeof delta.reasoning_content === 'string') reasoning += delta.reasoning_content
  else if (typeof delta.reasoning === 'string') reasoning += delta.reasoning
  return { text, reasoning }
}

function partsText(parts: unknown): string {
  if (typeof parts === 'string') return parts
  if (!Array.isArray(parts)) return ''
  return parts.map((p) => (typeof (p as Json)?.text === 'string' ? ((p as Json).text as string) : '')).join('')
}
