import type { ArenaStore } from '../arena/types.ts'
import { withArena } from '../arena/run-arena.ts'
import { exportJsonChunks } from './export-format.ts'
import { importExport } from './import-runs.ts'
import type { PresetStore } from './preset-store.ts'
import type { RunStore, SkippedRun, StoredRun } from './types.ts'

/** Image bytes in one batch at most (a run alone may hold more: 8 images of 5 MiB). */
const BATCH_IMAGE_BYTES = 64 * 1024 * 1024

/** The parts of a history that an export carries: runs (with images), votes and blind letters, presets. */
export interface HistoryStores {
  store: RunStore
  arena: ArenaStore | null
  presets: PresetStore | null
}

export interface CopyOutcome {
  /** Runs read from the source. */
  read: number
  imported: number
  /** Runs the target already had, or refused (listed, at most 100). */
  skipped: number
  skipped_runs: SkippedRun[]
  presets: { added: number; replaced: number; skipped: number }
}

/**
 * Copies a whole history from one store to another through the JSON export format, in batches, so a large
 * history never sits in memory at once: each batch is written as an export file would be, parsed back, and
 * imported with the checks of a file import. Runs the target already holds are skipped, so a copy that was
 * interrupted can simply be run again. Studies are not part of the format and stay behind.
 */
export async function copyHistory(o: {
  from: HistoryStores
  to: HistoryStores
  /** Keys to redact from stored error messages once more (as a file import does). */
  secrets: Array<string | undefined>
  batchSize?: number
  onBatch?: (progress: { read: number; imported: number; skipped: number }) => void
}): Promise<CopyOutcome> {
  const batchSize = o.batchSize ?? 250
  const outcome: CopyOutcome = {
    read: 0,
    imported: 0,
    skipped: 0,
    skipped_runs: [],
    presets: { added: 0, replaced: 0, skipped: 0 },
  }
  let presets = (await o.from.presets?.exportPresets()) ?? []
  let batch: StoredRun[] = []
  const flush = async () => {
    if (batch.length === 0 && presets.length === 0) return
    const text = await joinChunks(
      exportJsonChunks(toAsync(batch), {
        images: (h) => o.from.store.getImage(h),
        ...(presets.length > 0 ? { presets } : {}),
      }),
    )
    const result = await importExport(o.to.store, JSON.parse(text), o.secrets, {
      presets: o.to.presets,
      arena: o.to.arena,
    })
    if (!result.ok) {
      throw new Error(
        `runs ${outcome.read - batch.length + 1}-${outcome.read} could not be imported: ${result.issues[0]?.message}`,
      )
    }
    outcome.imported += result.outcome.imported
    outcome.skipped += result.outcome.skipped
    const base = outcome.read - batch.length
    for (const s of result.outcome.skipped_runs) {
      if (outcome.skipped_runs.length < 100) outcome.skipped_runs.push({ ...s, index: base + s.index })
    }
    if (result.outcome.presets) {
      outcome.presets.added += result.outcome.presets.added
      outcome.presets.replaced += result.outcome.presets.replaced
      outcome.presets.skipped += result.outcome.presets.skipped
    }
    presets = []
    batch = []
    o.onBatch?.({ read: outcome.read, imported: outcome.imported, skipped: outcome.skipped })
  }
  // A batch is one string: its images (base64, 4/3 of their bytes) must stay far below a string's limit.
  let imageBytes = 0
  for await (const run of withArena(o.from.store.exportRuns({}), o.from.arena)) {
    const bytes = (run.images ?? []).reduce((n, i) => n + i.bytes, 0)
    if (batch.length > 0 && imageBytes + bytes > BATCH_IMAGE_BYTES) {
      await flush()
      imageBytes = 0
    }
    batch.push(run)
    imageBytes += bytes
    outcome.read++
    if (batch.length >= batchSize) {
      await flush()
      imageBytes = 0
    }
  }
  await flush()
  return outcome
}

async function* toAsync<T>(items: T[]): AsyncGenerator<T> {
  yield* items
}

async function joinChunks(chunks: AsyncIterable<string>): Promise<string> {
  let text = ''
  for await (const chunk of chunks) text += chunk
  return text
}
