import type { StoredRun, StoredTargetResult } from './types.ts'

type Cell = string | number | boolean | null

/** One row per target result, every figure Juxta keeps. */
const COLUMNS: ReadonlyArray<[string, (run: StoredRun, r: StoredTargetResult, index: number) => Cell]> = [
  ['run_id', (run) => run.run_id],
  ['created_at', (run) => run.created_at],
  ['finished_at', (run) => run.finished_at],
  ['run_status', (run) => run.status],
  ['conversation_id', (run) => run.conversation_id],
  ['parent_id', (run) => run.parent_id],
  ['turn', (run) => run.turn],
  ['temperature', (run) => run.params.temperature ?? null],
  ['max_tokens', (run) => run.params.max_tokens ?? null],
  ['index', (_, __, i) => i],
  ['target', (_, r) => r.target],
  ['label', (_, r) => r.label],
  ['reported_model', (_, r) => r.model],
  ['status', (_, r) => r.status],
  ['finish_reason', (_, r) => r.finish_reason],
  ['attempts', (_, r) => r.attempts],
  ['input_tokens', (_, r) => r.usage.input_tokens],
  ['cached_input_tokens', (_, r) => r.usage.cached_input_tokens],
  ['output_tokens', (_, r) => r.usage.output_tokens],
  ['reasoning_tokens', (_, r) => r.usage.reasoning_tokens],
  ['usage_source', (_, r) => r.usage.source],
  ['cost_usd', (_, r) => r.cost.total_usd],
  ['input_cost_usd', (_, r) => r.cost.input_usd],
  ['output_cost_usd', (_, r) => r.cost.output_usd],
  ['cost_source', (_, r) => r.cost.source],
  ['cost_reason', (_, r) => r.cost.reason],
  ['price_source', (_, r) => r.cost.price_source],
  ['price_input_per_mtok', (_, r) => r.cost.unit_price?.input ?? null],
  ['price_cached_input_per_mtok', (_, r) => r.cost.unit_price?.cached_input ?? null],
  ['price_output_per_mtok', (_, r) => r.cost.unit_price?.output ?? null],
  ['reported_cost_usd', (_, r) => r.cost.reported_usd ?? null],
  ['computed_cost_usd', (_, r) => r.cost.computed_usd ?? null],
  ['cost_disagreement', (_, r) => r.cost.disagreement ?? null],
  ['cost_notes', (_, r) => (r.cost.notes?.length ? r.cost.notes.join('; ') : null)],
  ['ttft_ms', (_, r) => r.timing.ttft_ms],
  ['first_answer_ms', (_, r) => r.timing.first_answer_ms],
  ['total_ms', (_, r) => r.timing.total_ms],
  ['output_tokens_per_s', (_, r) => r.timing.output_tokens_per_s],
  ['error_kind', (_, r) => r.error?.kind ?? null],
  ['error_status', (_, r) => r.error?.status ?? null],
  ['error_message', (_, r) => r.error?.message ?? null],
  ['system', (run) => run.system],
  ['prompt', (run) => run.prompt],
  ['answer', (_, r) => r.text],
  ['reasoning', (_, r) => r.reasoning],
]

export const CSV_HEADER = COLUMNS.map(([name]) => name)

/**
 * One RFC 4180 field. Text that a spreadsheet would run as a formula (= + - @, tab, CR first) gets a
 * leading apostrophe (OWASP CSV injection); numbers are Juxta's own and stay numbers.
 */
export function csvField(value: Cell): string {
  if (value === null) return ''
  if (typeof value !== 'string') return String(value)
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

export const csvLine = (cells: Cell[]) => `${cells.map(csvField).join(',')}\r\n`

export function csvRows(run: StoredRun): Cell[][] {
  return run.results.map((r, i) => COLUMNS.map(([, get]) => get(run, r, i)))
}

/** UTF-8 with a byte-order mark so spreadsheets read non-ASCII answers correctly. */
export async function* exportCsvChunks(runs: AsyncIterable<StoredRun>): AsyncGenerator<string> {
  yield `\uFEFF${csvLine(CSV_HEADER)}`
  for await (const run of runs) yield csvRows(run).map(csvLine).join('')
}
