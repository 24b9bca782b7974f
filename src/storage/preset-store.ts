import type { Preset, PresetInput } from '../presets/preset-rules.ts'

/** A preset as the JSON export carries it: no id (ids are local to a database). */
export type ExportedPreset = Omit<Preset, 'id'>

export type PresetWrite = { ok: true; preset: Preset } | { ok: false; reason: 'duplicate' | 'not-found' }

export interface PresetImportOutcome {
  added: number
  /** Presets whose name was stored with an older `updated_at`: the imported one wins. */
  replaced: number
  /** Invalid ones, and names stored with the same or a newer `updated_at`. */
  skipped: number
  skipped_presets: Array<{ index: number; name: string | null; reason: string }>
}

/**
 * Named presets of the compare form. Names are unique, compared without case. Async like RunStore, so a
 * server database can implement it later.
 */
export interface PresetStore {
  list(): Promise<Preset[]>
  get(id: number): Promise<Preset | null>
  create(input: PresetInput): Promise<PresetWrite>
  /** Replaces every field of the preset (rename: the same fields with another name). */
  update(id: number, input: PresetInput): Promise<PresetWrite>
  delete(id: number): Promise<boolean>
  /** Every preset, for the export. */
  exportPresets(): Promise<ExportedPreset[]>
  /** Stores validated presets by name: new names are added, older stored ones replaced, the rest skipped. */
  importPresets(presets: ExportedPreset[]): Promise<PresetImportOutcome>
}
