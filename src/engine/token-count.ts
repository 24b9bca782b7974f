import type { ChatMessage } from '../providers/types.ts'

type Counter = (text: string) => number
let counter: Promise<Counter> | undefined

/**
 * Counts tokens with the o200k_base BPE (gpt-tokenizer). Loaded on first use: its rank tables cost tens of
 * MiB that an idle server should not carry. Other vendors' tokenizers differ, so counts made here are
 * always labelled estimates.
 */
export function loadTokenCounter(): Promise<Counter> {
  counter ??= import('gpt-tokenizer/encoding/o200k_base').then((m) => (text: string) => (text ? m.countTokens(text) : 0))
  return counter
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
