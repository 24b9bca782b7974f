import { textParam } from './pg-query.ts'
import type { ImageBlob } from '../../images/image-data.ts'
import { RESULT_COLUMNS } from '../run-sql.ts'
import { resultValues, targetParts } from '../rows.ts'
import type * as T from '../types.ts'
import { changes, type PgQueryable, picoParam } from './pg-query.ts'
import { PG } from './pg-run-sql.ts'

// The parameters of the run store's writes, and the import of one run: what PgRunStore sends, apart from it.

/** Inserts one exported run (inside the caller's savepoint); false when its id is already stored. */
export async function importOne(
  client: PgQueryable,
  run: T.StoredRun,
  images: ReadonlyMap<string, ImageBlob>,
): Promise<boolean> {
  // A run exported while it was streaming can never finish now.
  const status = run.status === 'running' ? 'interrupted' : run.status
  const createdAt = Date.parse(run.created_at)
  const inserted = await changes(client, PG.importRun, [
    run.run_id,
    run.conversation_id,
    run.parent_id,
    run.turn,
    createdAt,
    run.finished_at === null ? null : Date.parse(run.finished_at),
    status,
    JSON.stringify(run.params),
    textParam(run.system),
    textParam(run.prompt),
  ])
  if (inserted === 0) return false
  for (const [idx, r] of run.results.entries()) {
    const parts = targetParts(r.target)
    const values = resultParams(r.status === 'running' ? { ...r, status: 'interrupted' } : r)
    await changes(client, PG.importResult, [
      run.run_id,
      idx,
      createdAt,
      parts.target,
      parts.provider,
      parts.model,
      ...values,
    ])
  }
  const blobs = (run.images ?? []).map((ref) => {
    const blob = images.get(ref.sha256)
    if (!blob) throw new Error(`image ${ref.sha256} is not in the file`)
    return blob
  })
  if (blobs.length > 0) await changes(client, PG.linkImages, [run.run_id, ...imageColumns(blobs)])
  return true
}

/** A result's columns in RESULT_COLUMNS order. */
export function resultParams(result: Parameters<typeof resultValues>[0]): unknown[] {
  const values = resultValues(result)
  return RESULT_COLUMNS.map((c) =>
    c === 'cost_pico'
      ? picoParam(values.cost_pico)
      : c === 'text' || c === 'reasoning'
        ? textParam(values[c])
        : values[c],
  )
}

export function imageColumns(images: ReadonlyArray<ImageBlob>): unknown[] {
  return [
    images.map((i) => i.sha256),
    images.map((i) => i.mime),
    images.map((i) => i.data.length),
    images.map((i) => i.data),
  ]
}

/** One update per target: the text of repeated ones joined in order, the latest attempt count kept. */
export function mergePartials(updates: T.PartialUpdate[]): T.PartialUpdate[] {
  const byTarget = new Map<string, T.PartialUpdate>()
  for (const u of updates) {
    const key = `${u.index}:${u.run_id}`
    const seen = byTarget.get(key)
    byTarget.set(
      key,
      seen
        ? {
            ...seen,
            text: seen.text + u.text,
            reasoning: seen.reasoning + u.reasoning,
            attempts: u.attempts ?? seen.attempts,
          }
        : u,
    )
  }
  return [...byTarget.values()]
}
