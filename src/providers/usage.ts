import type { ReportedUsage } from './types.ts'
import { MAX_REQUEST_USD, MAX_TOKEN_COUNT } from '../domain/bounds.ts'

type Json = Record<string, unknown>

/** Upstream values quoted in notes are cut to this many characters. */
const QUOTE_MAX = 40

/** What a usage object holds after validation: the counts (when whole and sane) and what was rejected. */
export interface UsageReading {
  /** Absent when a main count was missing or rejected: usage is then estimated. */
  usage?: ReportedUsage
  /** One note per rejected field, e.g. `prompt_tokens 1.5 is not a whole number`. */
  notes: string[]
}

const obj = (v: unknown): Json | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined

/** An upstream value as it may be quoted in a note: short, one line. */
export function quote(v: unknown): string {
  let text: string
  try {
    text = typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v))
  } catch {
    text = String(v)
  }
  text = text.replace(/\s+/g, ' ')
  return text.length > QUOTE_MAX ? `${text.slice(0, QUOTE_MAX)}…` : text
}

/** Why `v` is not a token count, or null when it is one (a safe, non-negative integer). */
function countProblem(v: unknown): string | null {
  if (typeof v !== 'number') return `is not a number (${quote(v)})`
  if (!Number.isFinite(v)) return `${quote(v)} is not finite`
  if (v < 0) return `${quote(v)} is negative`
  if (!Number.isInteger(v)) return `${quote(v)} is not a whole number`
  if (v > MAX_TOKEN_COUNT) return `${quote(v)} is too large`
  return null
}

/** Why `v` is not a plausible cost in USD, or null when it is one. */
function costProblem(v: unknown): string | null {
  if (typeof v !== 'number') return `${quote(v)} is not a number`
  if (!Number.isFinite(v)) return `${quote(v)} is not finite`
  if (v < 0) return `${quote(v)} is negative`
  if (v > MAX_REQUEST_USD) {
    return `${quote(v)} is out of range (over $${MAX_REQUEST_USD.toLocaleString('en-US')} per request)`
  }
  return null
}

/**
 * Reads one count. Absent (undefined) is simply absent; anything else that is not a count is rejected with a
 * note, so that a poisoned number never reaches pricing, sums or storage.
 */
function count(value: unknown, name: string, notes: string[]): number | undefined {
  if (value === undefined) return undefined
  const problem = countProblem(value)
  if (problem === null) return value as number
  notes.push(`${name} ${problem}`)
  return undefined
}

/**
 * Normalises and validates a chunk's or body's usage across dialects: OpenAI
 * `prompt_tokens_details.cached_tokens`, DeepSeek `prompt_cache_hit_tokens`,
 * `completion_tokens_details.reasoning_tokens`, Groq `x_groq.usage`, OpenRouter `usage.cost`. Cached tokens stay
 * a part of input and reasoning a part of output. This is the one place where upstream numbers are checked:
 * counts must be safe non-negative integers and a reported cost a finite amount up to MAX_REQUEST_USD.
 * Returns undefined when the container has no usage object at all.
 */
export function readUsage(container: Json): UsageReading | undefined {
  const usage = obj(container.usage) ?? obj(obj(container.x_groq)?.usage)
  if (!usage) return undefined
  const notes: string[] = []
  const input = count(usage.prompt_tokens, 'prompt_tokens', notes)
  const output = count(usage.completion_tokens, 'completion_tokens', notes)
  // Half a usage is no usage: a missing count would otherwise read as 0 tokens (and $0). Juxta estimates
  // both from the text instead, and says so.
  if (input === undefined || output === undefined) return { notes }
  const cached =
    count(usage.prompt_cache_hit_tokens, 'prompt_cache_hit_tokens', notes) ??
    count(obj(usage.prompt_tokens_details)?.cached_tokens, 'cached_tokens', notes) ??
    0
  const reasoning = count(obj(usage.completion_tokens_details)?.reasoning_tokens, 'reasoning_tokens', notes) ?? 0
  const result: ReportedUsage = {
    input_tokens: input,
    // Providers have been seen to report parts larger than the whole; clamp instead of going negative.
    cached_input_tokens: Math.min(cached, input),
    output_tokens: output,
    reasoning_tokens: Math.min(reasoning, output),
  }
  if (usage.cost !== undefined && usage.cost !== null) {
    const problem = costProblem(usage.cost)
    if (problem === null) result.reported_cost_usd = usage.cost as number
    else notes.push(`reported cost rejected: ${problem}`)
  }
  if (notes.length > 0) result.notes = notes
  return { usage: result, notes }
}

/** The valid usage of a container, or undefined (see readUsage for what is rejected and why). */
export function usageFrom(container: Json): ReportedUsage | undefined {
  return readUsage(container)?.usage
}
