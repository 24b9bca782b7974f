import type { ChatMessage, ChatRequestParams, TargetError } from '../providers/types.ts'
import type { Cost } from '../pricing/types.ts'

export type UsageSource = 'reported' | 'estimated' | 'none'

export interface Usage {
  input_tokens: number | null
  cached_input_tokens: number | null
  output_tokens: number | null
  reasoning_tokens: number | null
  source: UsageSource
}

export interface Timing {
  /** First non-empty reasoning or answer delta, from request start (monotonic clock). */
  ttft_ms: number | null
  first_answer_ms: number | null
  total_ms: number
  /** Output tokens per second after the first token. */
  output_tokens_per_s: number | null
}

export type TargetStatus = 'ok' | 'error' | 'cancelled' | 'timeout'

export interface TargetResult {
  target: string
  label: string
  /** The model id the upstream reported using (it often differs from the requested one). */
  model: string | null
  status: TargetStatus
  text: string
  reasoning: string
  finish_reason: string | null
  usage: Usage
  cost: Cost
  timing: Timing
  error: TargetError | null
  /** Upstream attempts made (retries happen only before the first token). */
  attempts: number
}

export interface TargetRequest {
  target: string
  /** The whole conversation this target sees, its own earlier answers included. */
  messages: ChatMessage[]
}

export interface CompareRequest {
  run_id: string
  created_at: Date
  targets: TargetRequest[]
  params: ChatRequestParams
}

/** What consumers (API stream, page, storage) see while a run progresses. */
export type RunEvent =
  | { type: 'delta'; index: number; kind: 'text' | 'reasoning'; text: string }
  | { type: 'first-token'; index: number; ttft_ms: number }
  | { type: 'retry'; index: number; attempt: number; wait_ms: number; reason: string }
  /** The user re-ran this target ("retry this column"): its text starts over. */
  | { type: 'restart'; index: number }
  | { type: 'result'; index: number; result: TargetResult }
