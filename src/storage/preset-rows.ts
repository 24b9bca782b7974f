import type { Preset, PresetInput } from '../presets/preset-rules.ts'
import type { PresetImportOutcome } from './preset-store.ts'

// Row shape, mapping and import bookkeeping shared by the SQLite and PostgreSQL preset stores.

export interface PresetRow {
  id: number
  name: string
  /** Milliseconds since the epoch. */
  created_at: number
  updated_at: number
  temperature: number | null
  max_tokens: number | null
  /** JSON text. */
  targets: string
  system: string | null
  prompt: string
}

const MAX_LISTED = 100

export const SKIPPED_NOT_NEWER = 'a preset with this name and the same or a later change time is stored'

export function presetValues(p: PresetInput) {
  return {
    name: p.name,
    temperature: p.temperature,
    max_tokens: p.max_tokens,
    targets: JSON.stringify(p.targets),
    system: p.system,
    prompt: p.prompt,
  }
}

export function toPreset(row: PresetRow): Preset {
  let targets: string[] = []
  try {
    const parsed: unknown = JSON.parse(row.targets)
    if (Array.isArray(parsed)) targets = parsed.filter((t): t is string => typeof t === 'string')
  } catch {
    // A damaged list loads as no targets rather than failing the whole page.
  }
  return {
    id: row.id,
    name: row.name,
    prompt: row.prompt,
    system: row.system,
    targets,
    temperature: row.temperature,
    max_tokens: row.max_tokens,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  }
}

/** An import's running tally: every skip is counted, the first 100 are listed. */
export function presetImportTally(): { outcome: PresetImportOutcome; skip: (index: number, name: string) => void } {
  const outcome: PresetImportOutcome = { added: 0, replaced: 0, skipped: 0, skipped_presets: [] }
  const skip = (index: number, name: string) => {
    outcome.skipped++
    if (outcome.skipped_presets.length < MAX_LISTED) {
      outcome.skipped_presets.push({ index, name, reason: SKIPPED_NOT_NEWER })
    }
  }
  return { outcome, skip }
}
