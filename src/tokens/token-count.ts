import type { ChatMessage } from '../providers/types.ts'

type Counter = (text: string) => number
let counter: Promise<Counter> | undefined

/**
 * Counts tokens with the o200k_base BPE (gpt-tokenizer). Loaded on first use: its rank tables cost tens of
 * MiB that an idle server should not carry. Other vendors' tokenizers differ, so counts made here are
 * always labelled estimates.
 */
export function loadTokenCounter(): Promise<Counter> {
  counter ??= import('gpt-tokenizer/encoding/o200k_base').then((m) => (text: string) => countInSegments(text, m.countTokens))
  return counter
}

const SEGMENT = 2000

/**
 * A copy of a (sliced) string that does not keep its parent alive. V8 slices point into their parent, and
 * the tokenizer caches the pieces it sees: a cached slice of a 10 MB answer would pin all 10 MB.
 */
export function detach(text: string): string {
  return (' ' + text).slice(1)
}

/**
 * BPE is quadratic in the length of a single "word", and an upstream can send megabytes without a space.
 * Long texts are counted in segments cut at whitespace (hard-cut when there is none), which keeps counting
 * linear and changes the count by at most a token per cut.
 */
export function countInSegments(text: string, count: (s: string) => number): number {
  if (text.length <= SEGMENT) return text ? count(text) : 0
  let total = 0
  let start = 0
  while (start < text.length) {
    let end = Math.min(text.length, start + SEGMENT)
    if (end < text.length) {
      const space = text.lastIndexOf(' ', end)
      if (space > start + SEGMENT / 2) end = space
    }
    total += count(detach(text.slice(start, end)))
    start = end
  }
  return total
}

/** Chat-format overhead per message and per reply, as OpenAI documents for its chat models. */
const PER_MESSAGE = 3
const PER_REPLY = 3

export async function countPromptTokens(messages: ChatMessage[]): Promise<number> {
  const count = await loadTokenCounter()
  let total = PER_REPLY
  for (const m of messages) total += PER_MESSAGE + count(m.content) + count(m.role)
  return total
}

export async function countTextTokens(text: string): Promise<number> {
  return (await loadTokenCounter())(text)
}
