import { redactSecrets } from '../providers/redact.ts'
import { ExportSchema, importedRuns } from './export-format.ts'
import type { ImportOutcome, RunStore, StoredRun } from './types.ts'
import type { z } from 'zod'

export type ImportResult =
  | { ok: true; outcome: ImportOutcome }
  | { ok: false; issues: z.core.$ZodIssue[] }

/**
 * Validates a parsed JSON export and stores the runs it holds (ids already stored are skipped). Error
 * messages are redacted again with the keys this server knows: an export may come from anywhere.
 */
export async function importExport(store: RunStore, raw: unknown, secrets: Array<string | undefined>): Promise<ImportResult> {
  const file = ExportSchema.safeParse(raw)
  if (!file.success) return { ok: false, issues: file.error.issues }
  const runs = importedRuns(file.data).map((run) => redactRun(run, secrets))
  return { ok: true, outcome: await store.importRuns(runs) }
}

function redactRun(run: StoredRun, secrets: Array<string | undefined>): StoredRun {
  if (!run.results.some((r) => r.error)) return run
  return {
    ...run,
    results: run.results.map((r) => (r.error ? { ...r, error: { ...r.error, message: redactSecrets(r.error.message, secrets) } } : r)),
  }
}
