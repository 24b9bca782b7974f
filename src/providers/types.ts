import type { Price, Simulation } from '../config/schema.ts'

/** OpenAI content parts: a user message with images is text plus one `image_url` part per image (a data URL). */
export type ContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } }

/** Only user messages carry images; system prompts and answers are plain text. */
export type ChatMessage =
  | { role: 'system' | 'assistant'; content: string }
  | { role: 'user'; content: string | ContentPart[] }

/** The text of a message, whatever its shape. */
export function textOf(content: string | ContentPart[]): string {
  if (typeof content === 'string') return content
  return content.map((p) => (p.type === 'text' ? p.text : '')).join('')
}

/** Image parts in a message. */
export function imagePartsOf(content: string | ContentPart[]): Array<{ url: string }> {
  if (typeof content === 'string') return []
  return content.flatMap((p) => (p.type === 'image_url' ? [p.image_url] : []))
}

/** Token counts as the upstream reported them. Cached ⊂ input, reasoning ⊂ output. */
export interface ReportedUsage {
  input_tokens: number
  cached_input_tokens: number
  output_tokens: number
  reasoning_tokens: number
  /** Provider-reported cost in USD (OpenRouter `usage.cost`), finite and at most MAX_REQUEST_USD. */
  reported_cost_usd?: number
  /** Fields of this usage that were rejected (see usage.ts), e.g. `reported cost rejected: 1e300 is out of range`. */
  notes?: string[]
}

/** What one upstream stream yields, whatever the provider's dialect. */
export type StreamPart =
  | { type: 'text-delta'; text: string }
  | { type: 'reasoning-delta'; text: string }
  | { type: 'usage'; usage: ReportedUsage }
  /** A usage object whose token counts were rejected: usage is estimated instead, with these notes. */
  | { type: 'usage-rejected'; notes: string[] }
  | { type: 'finish'; reason: string }
  | { type: 'model'; model: string }

export type ErrorKind =
  | 'auth'
  | 'rate_limit'
  | 'quota'
  | 'bad_request'
  | 'upstream'
  | 'network'
  | 'timeout'
  | 'cancelled'

export interface TargetError {
  kind: ErrorKind
  message: string
  status: number | null
}

export type KeyStatus = 'env' | 'config' | 'stored' | 'missing' | 'not_needed'

export interface ModelEntry {
  id: string
  label: string
  price?: Price
  simulate?: Simulation
  /** Whether the model reads images: true/false from config, undefined when not declared. */
  vision?: boolean
}

export interface ProviderEntry {
  id: string
  name: string
  baseURL: string
  builtin?: 'demo'
  pricing: string
  apiKey?: string
  keyStatus: KeyStatus
  idleTimeoutMs?: number
  models: ModelEntry[]
}

export interface TargetEntry {
  /** `provider/model` */
  target: string
  provider: ProviderEntry
  model: ModelEntry
}

export interface ChatRequestParams {
  temperature?: number
  max_tokens?: number
}

/** Whether a local server (no key, an address on this machine or network) answered its last check. */
export interface Reachability {
  /** null: not checked (a cloud or built-in provider), or no answer yet. */
  reachable: boolean | null
  /** Why it is not reachable, safe to show; null otherwise. */
  reason: string | null
  /** Clock time of the last finished check; null before the first. */
  checkedAt: number | null
}
