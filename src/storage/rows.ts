import { type Cost, type TargetResult, type UsageSource, unknownCost } from '../domain/types.ts'
import { requestPico } from '../pricing/money.ts'
import type { ChatRequestParams, TargetError } from '../providers/types.ts'
import { splitTarget } from '../providers/catalog.ts'
import type { ImageRef } from '../images/image-data.ts'
import type { RunLink, RunStatus, StoredRun, StoredTargetResult, StoredTargetStatus } from './types.ts'

export interface RunRow {
  seq: number
  id: string
  conversation_id: string
  parent_id: string | null
  turn: number
  created_at: number
  finished_at: number | null
  status: RunStatus
  params: string
  system: string | null
  prompt: string
  study_id: string | null
}

export interface ResultRow {
  run_id: string
  idx: number
  target: string
  provider: string
  model: string
  label: string
  status: StoredTargetStatus
  reported_model: string | null
  finish_reason: string | null
  attempts: number
  input_tokens: number | null
  cached_input_tokens: number | null
  output_tokens: number | null
  reasoning_tokens: number | null
  usage_source: UsageSource
  cost_pico: number | bigint | null
  ttft_ms: number | null
  first_answer_ms: number | null
  total_ms: number | null
  output_tokens_per_s: number | null
  cost_json: string | null
  error_json: string | null
  text: string
  reasoning: string
}

/** Column values of a finished (or imported) target result, named like the SQL parameters. */
export function resultValues(r: TargetResult | StoredTargetResult) {
  return {
    label: r.label,
    status: r.status,
    reported_model: r.model,
    finish_reason: r.finish_reason,
    attempts: r.attempts,
    input_tokens: r.usage.input_tokens,
    cached_input_tokens: r.usage.cached_input_tokens,
    output_tokens: r.usage.output_tokens,
    reasoning_tokens: r.usage.reasoning_tokens,
    usage_source: r.usage.source,
    cost_pico: costPico(r.cost),
    ttft_ms: r.timing.ttft_ms,
    first_answer_ms: r.timing.first_answer_ms,
    total_ms: r.timing.total_ms,
    output_tokens_per_s: r.timing.output_tokens_per_s,
    cost_json: JSON.stringify(r.cost),
    error_json: r.error ? JSON.stringify(r.error) : null,
    text: r.text,
    reasoning: r.reasoning,
  }
}

/**
 * The amount the cost object states, as exact integer pico-dollars; null when unknown or not a plausible
 * per-request amount (pricing and import never let one through; this keeps the column summable regardless).
 */
export function costPico(cost: Cost): bigint | null {
  if (cost.source === 'unknown') return null
  return requestPico(cost.total_usd)
}

export function toStoredResult(row: ResultRow): StoredTargetResult {
  const unfinished = row.status === 'running' || row.status === 'interrupted' ? row.status : null
  return {
    target: row.target,
    label: row.label,
    model: row.reported_model,
    status: row.status,
    text: row.text,
    reasoning: row.reasoning,
    finish_reason: row.finish_reason,
    usage: {
      input_tokens: row.input_tokens,
      cached_input_tokens: row.cached_input_tokens,
      output_tokens: row.output_tokens,
      reasoning_tokens: row.reasoning_tokens,
      source: row.usage_source,
    },
    cost: row.cost_json ? (JSON.parse(row.cost_json) as Cost) : unknownCost(unfinished ?? 'not-recorded'),
    timing: {
      ttft_ms: row.ttft_ms,
      first_answer_ms: row.first_answer_ms,
      total_ms: row.total_ms,
      output_tokens_per_s: row.output_tokens_per_s,
    },
    error: row.error_json ? (JSON.parse(row.error_json) as TargetError) : null,
    attempts: row.attempts,
  }
}

export const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

export function toStoredRun(run: RunRow, results: ResultRow[]): StoredRun {
  const sorted = [...results].sort((a, b) => a.idx - b.idx)
  return {
    run_id: run.id,
    created_at: new Date(run.created_at).toISOString(),
    finished_at: iso(run.finished_at),
    status: run.status,
    prompt: run.prompt,
    system: run.system,
    params: JSON.parse(run.params) as ChatRequestParams,
    targets: sorted.map((r) => r.target),
    parent_id: run.parent_id,
    conversation_id: run.conversation_id,
    turn: run.turn,
    results: sorted.map(toStoredResult),
    ...(run.study_id ? { study_id: run.study_id } : {}),
  }
}

export function toRunLink(row: {
  id: string
  created_at: number
  status: RunStatus
  prompt: string
  study_id?: string | null
}): RunLink {
  const link: RunLink = {
    run_id: row.id,
    created_at: new Date(row.created_at).toISOString(),
    status: row.status,
    prompt: row.prompt,
  }
  return row.study_id ? { ...link, study_id: row.study_id } : link
}

/** A run with its image references; runs without images have no `images` key (older exports look the same). */
export function withImages(run: StoredRun, images: ImageRef[] | undefined): StoredRun {
  return images?.length ? { ...run, images } : run
}

export function groupByRun(rows: ResultRow[]): Map<string, ResultRow[]> {
  const byRun = new Map<string, ResultRow[]>()
  for (const row of rows) {
    const list = byRun.get(row.run_id)
    if (list) list.push(row)
    else byRun.set(row.run_id, [row])
  }
  return byRun
}

/** A target id split for its columns (provider, model); a malformed one keeps its whole id as provider. */
export function targetParts(target: string): { target: string; provider: string; model: string } {
  const parts = splitTarget(target)
  return { target, provider: parts?.provider ?? target, model: parts?.model ?? '' }
}
