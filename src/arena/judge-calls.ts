import type { EngineDeps } from '../engine/compare.ts'
import { buildRequest, executeRun, type RunRecorder } from '../engine/run-service.ts'
import type { TargetResult } from '../domain/types.ts'
import type { ChatMessage } from '../providers/types.ts'
import { picoToUsd, usdToPico } from '../pricing/money.ts'

/**
 * Columns per judge run: half the 64 targets a run may have (history's export keeps runs of at most 64), so a
 * run holds whole pairs (both orders) and never asks one provider for more than 32 answers at once.
 */
export const JUDGE_RUN_COLUMNS = 32

export interface JudgeCalls {
  /** One result per comparison, in order. */
  results: TargetResult[]
  /** The judge run holding each comparison (runs of JUDGE_RUN_COLUMNS columns, recorded like any run). */
  runIds: string[]
  /** Sum of the known costs; null when none is known. */
  cost_usd: number | null
  cost_unknown: number
  elapsed_ms: number
}

/**
 * Sends each comparison to the judge through the engine, as runs of their own (one column per comparison),
 * so the judge's cost and time are recorded and counted in spend apart from what is judged. Runs go one after
 * another; the columns of one run in parallel.
 */
export async function judgeCalls(
  deps: EngineDeps & { recorder: RunRecorder },
  options: {
    judge: string
    comparisons: ChatMessage[][]
    /** The prompt the judge runs are recorded under ("Judge … on run …"). */
    describe: (part: number, parts: number) => string
    signal?: AbortSignal
    now?: () => number
  },
): Promise<JudgeCalls> {
  const now = options.now ?? Date.now
  const started = now()
  const results: TargetResult[] = []
  const runIds: string[] = []
  const parts = Math.ceil(options.comparisons.length / JUDGE_RUN_COLUMNS)
  for (let part = 0; part < parts; part++) {
    const chunk = options.comparisons.slice(part * JUDGE_RUN_COLUMNS, (part + 1) * JUDGE_RUN_COLUMNS)
    const request = buildRequest({ prompt: '', targets: [], params: {} })
    request.targets = chunk.map((messages) => ({ target: options.judge, messages }))
    const meta = { prompt: options.describe(part + 1, parts), system: null, parent_id: null }
    const run = await executeRun(deps, request, meta, { signal: options.signal ?? new AbortController().signal })
    results.push(...run.results)
    runIds.push(...chunk.map(() => request.run_id))
  }
  let pico = 0n
  let known = 0
  for (const r of results) {
    if (r.cost.total_usd === null) continue
    pico += usdToPico(r.cost.total_usd)
    known++
  }
  return {
    results,
    runIds,
    cost_usd: known > 0 ? picoToUsd(pico) : null,
    cost_unknown: results.length - known,
    elapsed_ms: now() - started,
  }
}
