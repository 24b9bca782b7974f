import type { EngineDeps } from '../engine/compare.ts'
import { buildRequest, executeRun, type RunRecorder } from '../engine/run-service.ts'
import type { RunEvent } from '../engine/types.ts'
import type { CellKey, CellOutcome } from '../storage/study-store.ts'
import { cellOutcome } from './cells.ts'
import { isRateLimitReason } from './provider-gate.ts'
import type { StudyInput } from './types.ts'

export interface CellRunOptions {
  studyId: string
  input: StudyInput
  key: CellKey
  engine: EngineDeps & { recorder: RunRecorder }
  /** Whether an answer passes a prompt's `expected` check. */
  passes: (expected: string, answer: string) => boolean
  signal: AbortSignal
  /** The engine is waiting out a 429 for this cell: the provider's other cells must hold too. */
  rateLimited: (waitMs: number) => void | Promise<void>
  now: () => number
}

/**
 * One study cell as a real run (recorded in history with its study, priced at its own start), and its outcome
 * as the study keeps it. Storing the outcome is the caller's: it decides whether an aborted cell counts.
 */
export async function runStudyCell(o: CellRunOptions): Promise<CellOutcome> {
  const prompt = o.input.prompts[o.key.prompt_index]!
  const startedAt = new Date(o.now())
  const request = buildRequest(
    { prompt: prompt.prompt, system: prompt.system, targets: [o.key.target], params: o.input.params },
    startedAt,
  )
  const onEvent = (event: RunEvent) => {
    // The engine waits out the 429 for this cell; the gate keeps the provider's other cells from starting.
    if (event.type === 'retry' && isRateLimitReason(event.reason)) void o.rateLimited(event.wait_ms)
  }
  const meta = { prompt: prompt.prompt, system: prompt.system ?? null, parent_id: null, study_id: o.studyId }
  const run = await executeRun(o.engine, request, meta, { signal: o.signal, onEvent })
  const result = run.results[0]!
  let expectedPass: boolean | null = null
  if (prompt.expected !== undefined && result.status !== 'cancelled') {
    expectedPass = result.status === 'ok' && o.passes(prompt.expected, result.text)
  }
  return cellOutcome({
    result,
    runId: run.run_id,
    startedAt: startedAt.getTime(),
    finishedAt: o.now(),
    expectedPass,
  })
}
