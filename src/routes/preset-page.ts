import type { AppContext } from '../context.ts'
import { PRESET_GONE_MESSAGE, presetId, targetsNotOffered } from '../presets/preset-rules.ts'
import type { PresetControlProps, PresetStatus } from '../../views/preset-control.tsx'
import type { FormValues } from '../../views/compare-page.tsx'

/** The compare page's presets: the list for the control, and the form values and note of `?preset=id`. */
export async function presetsForPage(
  ctx: AppContext,
  id: string | undefined,
): Promise<{ control?: PresetControlProps; values?: FormValues }> {
  if (!ctx.presets) return {}
  const presets = await ctx.presets.list()
  if (id === undefined) return { control: { presets } }
  const preset = presets.find((p) => p.id === presetId(id))
  if (!preset) return { control: { presets, status: { kind: 'error', text: PRESET_GONE_MESSAGE } } }
  const missing = targetsNotOffered(preset, ctx.catalog())
  // The rest loads; the note names what could not be ticked (never silently dropped).
  const status: PresetStatus = missing.length
    ? {
        kind: 'note',
        text:
          `Loaded “${preset.name}”, except ${missing.length === 1 ? 'the target' : 'these targets'} ` +
          `${missing.join(', ')}: ${missing.length === 1 ? 'it is' : 'they are'} not offered here any more.`,
      }
    : { kind: 'ok', text: `Loaded “${preset.name}”.` }
  return {
    control: { presets, selected: preset.id, status },
    values: {
      prompt: preset.prompt,
      system: preset.system ?? undefined,
      temperature: preset.temperature?.toString(),
      max_tokens: preset.max_tokens?.toString(),
      targets: preset.targets.filter((t) => !missing.includes(t)),
    },
  }
}
