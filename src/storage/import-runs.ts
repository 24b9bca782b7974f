import { redactSecrets } from '../providers/redact.ts'
import { ExportEnvelopeSchema, ExportedPresetSchema, ExportedRunSchema } from './export-format.ts'
import type { ExportedPreset, PresetImportOutcome, PresetStore } from './preset-store.ts'
import type { ImportOutcome, RunStore, SkippedRun, StoredRun } from './types.ts'
import type { ArenaStore } from '../arena/types.ts'
import type { z } from 'zod'
import { type ImageBlob, type ImageCheck, parseImageDataUrl } from '../images/image-data.ts'

/** Skipped runs listed in an outcome; `skipped` counts them all. */
export const MAX_SKIPPED_LISTED = 100
const MAX_REASON = 300

export type ImportResult = { ok: true; outcome: ImportOutcome } | { ok: false; issues: z.core.$ZodIssue[] }

/**
 * Validates a parsed JSON export and stores the runs it holds. Runs are checked one by one: a bad run is
 * skipped and reported (index, id, reason) while the good ones are imported, as are ids already stored. The
 * import fails as a whole only when the file is not an export at all, or when it has runs and every one of
 * them is invalid. Error messages are redacted again with the keys this server knows: an export may come
 * from anywhere.
 */
export async function importExport(
  store: RunStore,
  raw: unknown,
  secrets: Array<string | undefined>,
  options: { presets?: PresetStore | null; arena?: ArenaStore | null } = {},
): Promise<ImportResult> {
  const file = ExportEnvelopeSchema.safeParse(raw)
  if (!file.success) return { ok: false, issues: file.error.issues }
  const valid: StoredRun[] = []
  const fileIndex: number[] = []
  const invalid: SkippedRun[] = []
  const issues: z.core.$ZodIssue[] = []
  const images = new ImageTable(file.data.images ?? {})
  file.data.runs.forEach((candidate, index) => {
    const run = ExportedRunSchema.safeParse(candidate)
    const problems = run.success ? images.problemsOf(run.data) : run.error.issues
    if (run.success && problems.length === 0) {
      valid.push(redactRun(run.data, secrets))
      fileIndex.push(index)
      return
    }
    invalid.push({ index, run_id: runIdOf(candidate), reason: reasonOf(problems) })
    for (const issue of problems) issues.push({ ...issue, path: ['runs', index, ...issue.path] })
  })
  if (valid.length === 0 && invalid.length > 0) return { ok: false, issues }
  const stored = await store.importRuns(valid, images.checked())
  // Votes and blind letters of the runs just imported (a run already stored keeps its own).
  if (options.arena) {
    const notImported = new Set(stored.skipped_runs.map((s) => s.index))
    for (const [i, run] of valid.entries()) {
      if (run.arena && !notImported.has(i)) await options.arena.importArena(run.run_id, run.arena)
    }
  }
  const skipped = [...invalid, ...stored.skipped_runs.map((s) => ({ ...s, index: fileIndex[s.index]! }))]
  skipped.sort((a, b) => a.index - b.index)
  const outcome: ImportOutcome = {
    imported: stored.imported,
    skipped: skipped.length,
    skipped_runs: skipped.slice(0, MAX_SKIPPED_LISTED),
  }
  if (file.data.presets && options.presets) outcome.presets = await importPresets(options.presets, file.data.presets)
  return { ok: true, outcome }
}

/** Presets are checked one by one too: an invalid one is skipped with its reason, the others are stored. */
async function importPresets(store: PresetStore, candidates: unknown[]): Promise<PresetImportOutcome> {
  const valid: ExportedPreset[] = []
  const fileIndex: number[] = []
  const invalid: PresetImportOutcome['skipped_presets'] = []
  candidates.forEach((candidate, index) => {
    const preset = ExportedPresetSchema.safeParse(candidate)
    if (preset.success) {
      valid.push(preset.data)
      fileIndex.push(index)
    } else invalid.push({ index, name: presetNameOf(candidate), reason: reasonOf(preset.error.issues) })
  })
  const stored = await store.importPresets(valid)
  const skipped = [...invalid, ...stored.skipped_presets.map((s) => ({ ...s, index: fileIndex[s.index]! }))]
  skipped.sort((a, b) => a.index - b.index)
  // The store lists only the first of its skips; its count is the whole number.
  return { ...stored, skipped: invalid.length + stored.skipped, skipped_presets: skipped.slice(0, MAX_SKIPPED_LISTED) }
}

function presetNameOf(candidate: unknown): string | null {
  const name = (candidate as { name?: unknown } | null)?.name
  return typeof name === 'string' && name.length <= 80 ? name : null
}

/**
 * The file's images, each decoded and checked once, when a run first references it: the same checks as the API
 * (type by content, declared type, size), plus its key must be the sha256 of its bytes.
 */
class ImageTable {
  private readonly results = new Map<string, ImageCheck>()

  constructor(private readonly urls: Record<string, string>) {}

  problemsOf(run: StoredRun): z.core.$ZodIssue[] {
    const problems: z.core.$ZodIssue[] = []
    ;(run.images ?? []).forEach((ref, i) => {
      const message = this.problemOf(ref)
      if (message) problems.push({ code: 'custom', path: ['images', i], message, input: undefined })
    })
    return problems
  }

  /** The images that passed, by sha256. */
  checked(): Map<string, ImageBlob> {
    const out = new Map<string, ImageBlob>()
    for (const [sha256, r] of this.results) if (r.ok) out.set(sha256, r.image)
    return out
  }

  private problemOf(ref: { sha256: string; mime: string; bytes: number }): string | null {
    let checked = this.results.get(ref.sha256)
    if (!checked) {
      const url = Object.hasOwn(this.urls, ref.sha256) ? this.urls[ref.sha256] : undefined
      if (url === undefined) return `image ${ref.sha256.slice(0, 12)}… is not in the file's images`
      checked = parseImageDataUrl(url)
      if (checked.ok && checked.image.sha256 !== ref.sha256) {
        checked = { ok: false, message: 'does not match its sha256 (the bytes were changed)' }
      }
      this.results.set(ref.sha256, checked)
    }
    if (!checked.ok) return `image ${ref.sha256.slice(0, 12)}… ${checked.message}`
    if (checked.image.mime !== ref.mime || checked.image.data.length !== ref.bytes) {
      const found = `${checked.image.mime}, ${checked.image.data.length} bytes`
      return `says ${ref.mime}, ${ref.bytes} bytes; the image is ${found}`
    }
    return null
  }
}

/** The run's id when it is a plausible one, for the report (never the raw value of a hostile file). */
function runIdOf(candidate: unknown): string | null {
  const id = (candidate as { run_id?: unknown } | null)?.run_id
  return typeof id === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(id) ? id : null
}

function reasonOf(issues: z.core.$ZodIssue[]): string {
  const first = issues[0]
  if (!first) return 'invalid'
  const path = first.path
    .map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : i === 0 ? String(seg) : `.${String(seg)}`))
    .join('')
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : ''
  const text = `${path ? `${path}: ` : ''}${first.message}${more}`
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON)}…` : text
}

function redactRun(run: StoredRun, secrets: Array<string | undefined>): StoredRun {
  if (!run.results.some((r) => r.error)) return run
  return {
    ...run,
    results: run.results.map((r) =>
      r.error ? { ...r, error: { ...r.error, message: redactSecrets(r.error.message, secrets) } } : r,
    ),
  }
}
