import { z } from 'zod'
import type { Catalog } from '../providers/catalog.ts'
import { MAX_RUN_TARGETS, MaxTokensSchema, PromptSchema, SystemSchema, TemperatureSchema } from '../domain/run-input.ts'

/** A saved compare form: prompt, system prompt, targets and parameters, under a name. */
export interface Preset {
  id: number
  name: string
  prompt: string
  system: string | null
  targets: string[]
  temperature: number | null
  max_tokens: number | null
  /** ISO 8601. */
  created_at: string
  updated_at: string
}

/** What a preset holds, without its id and times. */
export type PresetInput = Omit<Preset, 'id' | 'created_at' | 'updated_at'>

export const MAX_PRESET_NAME = 80

// Names are shown in a select and compared case-insensitively (the database's NOCASE).
export const PresetNameSchema = z
  .string()
  .transform((s) => s.trim())
  .pipe(
    z
      .string()
      .min(1, 'give the preset a name')
      .max(MAX_PRESET_NAME, `a preset name has at most ${MAX_PRESET_NAME} characters`)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
      .regex(/^[^\u0000-\u001f\u007f]*$/, 'a preset name is one line of text'),
  )

const PresetTargetSchema = z
  .string()
  .max(300)
  .regex(/^[^/\s]+\/\S+$/, 'must be "provider/model"')

/** The fields of a preset, as the JSON API and the import take them; the same bounds as a run's. */
export const presetFields = {
  name: PresetNameSchema,
  prompt: PromptSchema,
  system: SystemSchema.nullable(),
  targets: z.array(PresetTargetSchema).max(MAX_RUN_TARGETS),
  temperature: TemperatureSchema.nullable(),
  max_tokens: MaxTokensSchema.nullable(),
}

/** POST /api/presets: optional fields may be left out. */
export const NewPresetSchema = z.strictObject({
  ...presetFields,
  system: presetFields.system.optional(),
  temperature: presetFields.temperature.optional(),
  max_tokens: presetFields.max_tokens.optional(),
})

/** PUT /api/presets/:id: a rename (`{ name }`) or any fields to replace; null clears an optional one. */
export const PresetChangeSchema = z
  .strictObject({
    name: presetFields.name.optional(),
    prompt: presetFields.prompt.optional(),
    system: presetFields.system.optional(),
    targets: presetFields.targets.optional(),
    temperature: presetFields.temperature.optional(),
    max_tokens: presetFields.max_tokens.optional(),
  })
  .refine((o) => Object.keys(o).length > 0, 'give at least one field to change')

export function toPresetInput(body: z.infer<typeof NewPresetSchema>): PresetInput {
  return {
    name: body.name,
    prompt: body.prompt,
    system: body.system?.trim() ? body.system : null,
    targets: [...new Set(body.targets)],
    temperature: body.temperature ?? null,
    max_tokens: body.max_tokens ?? null,
  }
}

/** The preset's targets this server no longer offers, in the preset's order. */
export function missingTargets(preset: Pick<Preset, 'targets'>, known: (target: string) => boolean): string[] {
  return preset.targets.filter((t) => !known(t))
}

/** missingTargets against the current catalog. */
export function targetsNotOffered(preset: Pick<Preset, 'targets'>, catalog: Pick<Catalog, 'find'>): string[] {
  return missingTargets(preset, (t) => !!catalog.find(t))
}

/** What a stored preset holds, without its id and times: the base a change or a rename is applied to. */
export function presetInputOf(preset: Preset): PresetInput {
  const { id: _id, created_at: _c, updated_at: _u, ...fields } = preset
  return fields
}

/** A preset id from a URL or a form: a positive integer, else null. */
export function presetId(raw: string | undefined): number | null {
  return raw && /^[1-9][0-9]{0,14}$/.test(raw) ? Number(raw) : null
}

/** Said on the compare page when a preset it was asked for was deleted meanwhile. */
export const PRESET_GONE_MESSAGE = 'That preset does not exist any more.'
