import type { ReportedUsage } from './types.ts'

type Json = Record<string, unknown>

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined)
const obj = (v: unknown): Json | undefined => (v !== null && typeof v === 'object' ? (v as Json) : undefined)

/**
 * Normalises a chunk's or body's usage across dialects: OpenAI `prompt_tokens_details.cached_tokens`,
 * DeepSeek `prompt_cache_hit_tokens`, `completion_tokens_details.reasoning_tokens`, Groq `x_groq.usage`,
 * OpenRouter `usage.cost`. Cached tokens stay a part of input and reasoning a part of output.
 */
export function usageFrom(container: Json): ReportedUsage | undefined {
  const usage = obj(container.usage) ?? obj(obj(container.x_groq)?.usage)
  if (!usage) return undefined
  const input = num(usage.prompt_tokens)
  const output = num(usage.completion_tokens)
  // Half a usage is no usage: a missing count would otherwise read as 0 tokens (and $0). Juxta estimates
  // both from the text instead, and says so.
  if (input === undefined || output === undefined) return undefined
  const inputTokens = input
  const outputTokens = output
  const cached =
    num(usage.prompt_cache_hit_tokens) ?? num(obj(usage.prompt_tokens_details)?.cached_tokens) ?? 0
  const reasoning = num(obj(usage.completion_tokens_details)?.reasoning_tokens) ?? 0
  const result: ReportedUsage = {
    input_tokens: inputTokens,
    // Providers have been seen to report parts larger than the whole; clamp instead of going negative.
    cached_input_tokens: Math.min(cached, inputTokens),
    output_tokens: outputTokens,
    reasoning_tokens: Math.min(reasoning, outputTokens),
  }
  const cost = num(usage.cost)
  if (cost !== undefined) result.reported_cost_usd = cost
  return result
}
