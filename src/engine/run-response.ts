import { type RunFigures, summarizeRun } from '../pricing/summary.ts'
import type { Run } from './run-service.ts'

export type RunResponse = Run & { summary: RunFigures }

/** A finished run as `POST /api/compare` answers it (and the CLI's `ask --json` prints it): results and summary. */
export function runResponse(run: Run): RunResponse {
  return { ...run, summary: summarizeRun(run.results) }
}
