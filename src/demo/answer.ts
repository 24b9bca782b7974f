import { type ChatMessage, imagePartsOf, textOf } from '../providers/types.ts'

/** FNV-1a: a stable hash so the same prompt always gets the same simulated answer. */
export function hash(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

const OPENINGS = [
  'Here is a short, structured answer.',
  'Good question; let me break it down.',
  'In brief, it depends on a few things.',
  'The short version first, then the details.',
]
const POINTS = [
  'Latency has two parts: the wait for the first token and the speed after it.',
  'Cost per request is tokens in times the input price plus tokens out times the output price.',
  'Cached input tokens are billed at a lower rate, so repeated prefixes get cheaper.',
  'Reasoning models spend hidden tokens before answering, and those are billed as output.',
  'A verbose model can cost more than a pricier terse one on the same prompt.',
  'Off-peak discounts change what the very same request costs by the hour.',
  'Measure on your own prompts: list prices alone do not tell you the bill.',
]
const THOUGHTS = [
  'The user wants a clear answer. ',
  'Let me consider what matters most here. ',
  'First, restate the question; then weigh the main factors. ',
  'A list would make this easier to scan. ',
  'I should include a small example. ',
  'Check: is anything ambiguous? Probably not. ',
]

function pick<T>(items: readonly T[], seed: number, i: number): T {
  return items[((seed + i * 2654435761) % items.length) >>> 0] as T
}

/** The deterministic Markdown answer for a conversation; `modelId` varies the wording between columns. */
export function demoAnswer(messages: ChatMessage[], modelId: string): string {
  const lastMessage = [...messages].reverse().find((m) => m.role === 'user')?.content ?? ''
  const last = textOf(lastMessage)
  const images = imagePartsOf(lastMessage).map((p) => describeImage(p.url))
  const seed = hash(`${modelId}\n${last}`)
  const quoted = last.length > 160 ? `${last.slice(0, 160)}…` : last
  const turn = messages.filter((m) => m.role === 'user').length
  const lines = [
    `**Simulated answer** from Juxta's demo provider (${modelId}); no model was called.`,
    '',
    `> ${quoted.replace(/\s+/g, ' ')}`,
    '',
    ...(images.length
      ? [
          `_${images.length} image${images.length === 1 ? '' : 's'} attached (${images.join(', ')}). ` +
            'The simulator cannot see images: they were received but add no input tokens._',
          '',
        ]
      : []),
    pick(OPENINGS, seed, 0),
    '',
    ...[0, 1, 2].map((i) => `${i + 1}. ${pick(POINTS, seed, i + 1)}`),
    '',
    '```ts',
    `const costUsd = (inputTokens * inPrice + outputTokens * outPrice) / 1_000_000 // turn ${turn}`,
    '```',
    '',
    'Add an API key in Settings to compare real models.',
  ]
  return lines.join('\n')
}

/** "PNG, 34 KB" from a data URL, without decoding it. */
function describeImage(url: string): string {
  const m = /^data:image\/([a-z0-9.+-]+);base64,([A-Za-z0-9+/=]*)$/i.exec(url)
  if (!m) return 'not a data URL'
  const bytes = Math.floor((m[2]!.length * 3) / 4) - (m[2]!.match(/=+$/)?.[0].length ?? 0)
  return `${m[1]!.toUpperCase()}, ${Math.max(1, Math.round(bytes / 1000))} KB`
}

export function demoReasoning(messages: ChatMessage[], modelId: string, approxTokens: number): string {
  if (approxTokens <= 0) return ''
  const seed = hash(`${modelId}\n${JSON.stringify(messages)}`)
  let text = ''
  // Each thought is about 8-12 tokens.
  for (let i = 0; text.length < approxTokens * 4; i++) text += pick(THOUGHTS, seed, i)
  return text.trim()
}

/** Pads an answer to roughly `tokens` tokens (benchmarks ask for long answers). */
export function padAnswer(answer: string, tokens: number): string {
  let text = answer
  for (let i = 0; text.length < tokens * 4; i++) text += `\n\n${i + 1}. ${POINTS[i % POINTS.length]}`
  return text
}
