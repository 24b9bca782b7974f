import { type ChatMessage, textOf } from '../providers/types.ts'

type Counter = (text: string) => number
let counter: Promise<Counter> | undefined
let rawCounter: Promise<Counter> | undefined

/**
 * Counts tokens with the o200k_base BPE (gpt-tokenizer). Loaded on first use: its rank tables cost tens of
 * MiB that an idle server should not carry. Other vendors' tokenizers differ, so counts made here are
 * always labelled estimates.
 */
export function loadTokenCounter(): Promise<Counter> {
  counter ??= loadRawCounter().then((count) => (text: string) => countInSegments(text, count))
  return counter
}

function loadRawCounter(): Promise<Counter> {
  rawCounter ??= import('gpt-tokenizer/encoding/o200k_base').then((m) => m.countTokens)
  return rawCounter
}

const SEGMENT = 2000
const SPACE = 0x20

/**
 * A copy of a (sliced) string that does not keep its parent alive. V8 slices point into their parent, and
 * the tokenizer caches the pieces it sees: a cached slice of a 10 MB answer would pin all 10 MB.
 */
export function detach(text: string): string {
  return ` ${text}`.slice(1)
}

/**
 * BPE is quadratic in the length of a single "word", and an upstream can send megabytes without a space.
 * Long texts are counted in segments cut at whitespace (hard-cut when there is none), which keeps counting
 * linear and changes the count by at most a token per cut.
 */
export function countInSegments(text: string, count: (s: string) => number): number {
  let total = 0
  for (const segment of segments(text)) total += count(segment)
  return total
}

/** Longest stretch `countTextTokens` keeps the event loop, in milliseconds. */
export const COUNT_SLICE_MS = 5

/**
 * The same count, letting the event loop turn after every `sliceMs` of counting: estimating a multi-megabyte
 * answer of varied text can take seconds (more on a busy machine), and the other columns of the run (their
 * sockets, their idle timers) must not wait for it. A slice is measured in time, not characters, so a loaded
 * machine yields as often as an idle one.
 */
export async function countInSegmentsFairly(
  text: string,
  count: (s: string) => number,
  sliceMs = COUNT_SLICE_MS,
): Promise<number> {
  let total = 0
  let sliceStart = performance.now()
  let first = true
  for (const segment of segments(text)) {
    if (!first && performance.now() - sliceStart >= sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve))
      sliceStart = performance.now()
    }
    first = false
    total += count(segment)
  }
  return total
}

function* segments(text: string): Generator<string> {
  if (text.length <= SEGMENT) {
    if (text) yield text
    return
  }
  let start = 0
  while (start < text.length) {
    let end = Math.min(text.length, start + SEGMENT)
    if (end < text.length) {
      // Look back at most half a segment: `lastIndexOf(' ', end)` walked back to the start of a text without
      // spaces for every segment, seconds for a 4 MB answer.
      for (let i = end; i > start + SEGMENT / 2; i--) {
        if (text.charCodeAt(i) === SPACE) {
          end = i
          break
        }
      }
    }
    yield detach(text.slice(start, end))
    start = end
  }
}

/** Chat-format overhead per message and per reply, as OpenAI documents for its chat models. */
const PER_MESSAGE = 3
const PER_REPLY = 3

export async function countPromptTokens(messages: ChatMessage[]): Promise<number> {
  const count = await loadTokenCounter()
  let total = PER_REPLY
  // Text only: image parts are priced by each provider its own way (tiles, detail), which no tokenizer here knows.
  for (const m of messages) total += PER_MESSAGE + count(textOf(m.content)) + count(m.role)
  return total
}

export async function countTextTokens(text: string): Promise<number> {
  return countInSegmentsFairly(text, await loadRawCounter())
}
