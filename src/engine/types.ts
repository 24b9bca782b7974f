import type { ChatMessage, ChatRequestParams } from '../providers/types.ts'
import type { TargetResult } from '../domain/types.ts'

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
