import type { TargetResult } from '../domain/types.ts'
import { costPico } from '../storage/rows.ts'
import type { CellKey, CellOutcome, StoredCell } from '../storage/study-store.ts'
import type { CellView, StudyInput } from './types.ts'

export const PROMPT_EXCERPT = 200
export const ANSWER_EXCERPT = 300

/**
 * Every cell of a study in the order they are started: repeat by repeat, prompt by prompt, target by target, so
 * no target runs all its cells first (a study stopped halfway has every target's share of it).
 */
export function cellKeys(input: Pick<StudyInput, 'prompts' | 'targets' | 'repeats'>): CellKey[] {
  const keys: CellKey[] = []
  for (let repeat = 1; repeat <= input.repeats; repeat++) {
    for (let p = 0; p < input.prompts.length; p++) {
      input.targets.forEach((target, t) => {
        keys.push({ prompt_index: p, target_index: t, repeat, target })
      })
    }
  }
  return keys
}

export const cellId = (k: Pick<CellKey, 'prompt_index' | 'target_index' | 'repeat'>) =>
  `${k.prompt_index}:${k.target_index}:${k.repeat}`

/** A run's one result as the study keeps it. `timeout` is an error of kind `timeout`. */
export function cellOutcome(options: {
  result: TargetResult
  runId: string
  startedAt: number
  finishedAt: number
  expectedPass: boolean | null
}): CellOutcome {
  const { result: r } = options
  const status = r.status === 'ok' ? 'ok' : r.status === 'cancelled' ? 'cancelled' : 'error'
  return {
    status,
    run_id: options.runId,
    started_at: options.startedAt,
    finished_at: options.finishedAt,
    error_kind: status === 'error' ? (r.error?.kind ?? (r.status === 'timeout' ? 'timeout' : 'upstream')) : null,
    error_message: status === 'ok' ? null : (r.error?.message ?? null),
    cost_pico: costPico(r.cost),
    cost_reason: r.cost.reason,
    ttft_ms: r.timing.ttft_ms,
    total_ms: r.timing.total_ms,
    input_tokens: r.usage.input_tokens,
    cached_input_tokens: r.usage.cached_input_tokens,
    output_tokens: r.usage.output_tokens,
    reasoning_tokens: r.usage.reasoning_tokens,
    output_tokens_per_s: r.timing.output_tokens_per_s,
    first_answer_ms: r.timing.first_answer_ms,
    attempts: r.attempts,
    finish_reason: r.finish_reason,
    input_cost_usd: r.cost.source === 'unknown' ? null : r.cost.input_usd,
    output_cost_usd: r.cost.source === 'unknown' ? null : r.cost.output_usd,
    price_source: r.cost.price_source,
    expected_pass: options.expectedPass,
    answer: excerpt(r.text, ANSWER_EXCERPT),
  }
}

export function excerpt(text: string, max: number): string {
  if (text.length <= max) return text
  // Never split a surrogate pair: the excerpt is shown and exported as text.
  const cut = /[\uD800-\uDBFF]/.test(text[max - 1]!) ? max - 1 : max
  return text.slice(0, cut)
}

export function cellView(cell: StoredCell, input: StudyInput, toUsd: (pico: bigint) => number): CellView {
  return {
    prompt_index: cell.prompt_index,
    prompt: excerpt(input.prompts[cell.prompt_index]?.prompt ?? '', PROMPT_EXCERPT),
    target: cell.target,
    repeat: cell.repeat,
    run_id: cell.run_id,
    status: cell.status,
    error: cell.error_kind ? { kind: cell.error_kind, message: cell.error_message ?? '' } : null,
    cost_usd: cell.cost_pico === null ? null : toUsd(cell.cost_pico),
    cost_reason: cell.status === 'pending' ? null : cell.cost_reason,
    ttft_ms: cell.ttft_ms,
    total_ms: cell.total_ms,
    input_tokens: cell.input_tokens,
    cached_input_tokens: cell.cached_input_tokens,
    output_tokens: cell.output_tokens,
    reasoning_tokens: cell.reasoning_tokens,
    output_tokens_per_s: cell.output_tokens_per_s,
    first_answer_ms: cell.first_answer_ms,
    attempts: cell.attempts,
    finish_reason: cell.finish_reason,
    input_cost_usd: cell.input_cost_usd,
    output_cost_usd: cell.output_cost_usd,
    price_source: cell.price_source,
    expected: cell.expected_pass === null ? null : cell.expected_pass ? 'pass' : 'fail',
    answer: cell.answer,
    started_at: cell.started_at === null ? null : new Date(cell.started_at).toISOString(),
    finished_at: cell.finished_at === null ? null : new Date(cell.finished_at).toISOString(),
  }
}
