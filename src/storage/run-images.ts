import type { ImageBlob, ImageRef, ImageType } from '../images/image-data.ts'
import type { StatementCache } from './statements.ts'

const SQL = {
  insertImage: `INSERT INTO images (sha256, mime, bytes, data) VALUES (@sha256, @mime, @bytes, @data)
    ON CONFLICT (sha256) DO NOTHING`,
  link: 'INSERT INTO run_images (run_id, idx, sha256) VALUES (@run_id, @idx, @sha256)',
  refsOfMany: `SELECT ri.run_id, ri.idx, i.sha256, i.mime, i.bytes FROM run_images ri JOIN images i USING (sha256)
    WHERE ri.run_id IN (SELECT value FROM json_each(?)) ORDER BY ri.run_id, ri.idx`,
  dataOfMany: `SELECT ri.run_id, i.mime, i.data FROM run_images ri JOIN images i USING (sha256)
    WHERE ri.run_id IN (SELECT value FROM json_each(?)) ORDER BY ri.run_id, ri.idx`,
  hashesOfMany: 'SELECT DISTINCT sha256 FROM run_images WHERE run_id IN (SELECT value FROM json_each(?))',
  image: 'SELECT mime, data FROM images WHERE sha256 = ?',
  /** Images no run references any more (after a delete): nothing else points at them. */
  dropOrphans: `DELETE FROM images WHERE sha256 IN (SELECT value FROM json_each(?))
    AND NOT EXISTS (SELECT 1 FROM run_images WHERE run_images.sha256 = images.sha256)`,
}

/** Stores each image once (by content hash) and links it to the run at its position. Inside a transaction. */
export function linkImages(sql: StatementCache, runId: string, images: ReadonlyArray<ImageBlob>): void {
  images.forEach((image, idx) => {
    sql.get(SQL.insertImage).run({ sha256: image.sha256, mime: image.mime, bytes: image.data.length, data: image.data })
    sql.get(SQL.link).run({ run_id: runId, idx, sha256: image.sha256 })
  })
}

/** The image references of many runs, by run id, in prompt order. */
export function imageRefsOf(sql: StatementCache, runIds: ReadonlyArray<string>): Map<string, ImageRef[]> {
  return refsByRun(sql.get(SQL.refsOfMany).all(JSON.stringify(runIds)) as Array<ImageRef & { run_id: string }>)
}

/** Reference rows (ordered by run, then position) grouped by run: both databases read them so. */
export function refsByRun(rows: ReadonlyArray<ImageRef & { run_id: string }>): Map<string, ImageRef[]> {
  const out = new Map<string, ImageRef[]>()
  for (const { run_id, sha256, mime, bytes } of rows) {
    const list = out.get(run_id) ?? []
    list.push({ sha256, mime, bytes })
    out.set(run_id, list)
  }
  return out
}

/** The bytes of many runs' images, by run id, in prompt order (follow-ups send earlier images again). */
export function imageDataOf(sql: StatementCache, runIds: ReadonlyArray<string>): Map<string, ImageBytes[]> {
  return dataByRun(sql.get(SQL.dataOfMany).all(JSON.stringify(runIds)) as Array<ImageBytes & { run_id: string }>)
}

export type ImageBytes = { mime: ImageType; data: Buffer }

export function dataByRun(rows: ReadonlyArray<ImageBytes & { run_id: string }>): Map<string, ImageBytes[]> {
  const out = new Map<string, ImageBytes[]>()
  for (const { run_id, mime, data } of rows) out.set(run_id, [...(out.get(run_id) ?? []), { mime, data }])
  return out
}

export function imageOf(sql: StatementCache, sha256: string): { mime: ImageType; data: Buffer } | null {
  return (sql.get(SQL.image).get(sha256) as { mime: ImageType; data: Buffer } | undefined) ?? null
}

/** The hashes the runs reference; read before deleting them, to drop the images left unreferenced after. */
export function imageHashesOf(sql: StatementCache, runIds: ReadonlyArray<string>): string[] {
  return sql.get(SQL.hashesOfMany).pluck().all(JSON.stringify(runIds)) as string[]
}

export function dropOrphanImages(sql: StatementCache, hashes: ReadonlyArray<string>): void {
  if (hashes.length > 0) sql.get(SQL.dropOrphans).run(JSON.stringify(hashes))
}
