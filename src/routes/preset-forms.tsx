import { Hono, type Context } from 'hono'
import type { AppContext } from '../context.ts'
import { formatPath } from '../config/load.ts'
import {
  NewPresetSchema,
  PRESET_GONE_MESSAGE,
  PresetNameSchema,
  presetId,
  presetInputOf,
  toPresetInput,
} from '../presets/preset-rules.ts'
import type { PresetWrite } from '../storage/preset-store.ts'
import { PresetControlBody, type PresetStatus } from '../../views/preset-control.tsx'
import { type FormBody, formToBody } from './compare-form.ts'

const str = (v: unknown): string => (typeof v === 'string' ? v : '')

/** The presets control's htmx actions; each answers the control again, with 422 and the message on an error. */
export function presetFormRoutes(ctx: AppContext): Hono {
  const app = new Hono()

  const answer = async (
    c: Context,
    status: PresetStatus,
    extra: { selected?: number; name?: string; code?: 200 | 404 | 422 } = {},
  ) => {
    // Only reached past the middleware below, which answers 503 without a store.
    const presets = await ctx.presets!.list()
    return c.html(
      <PresetControlBody presets={presets} selected={extra.selected} name={extra.name} status={status} focus />,
      extra.code ?? 200,
    )
  }
  /** The control again with an error; `name` keeps what was typed in the name box. */
  const error = (c: Context, text: string, { name, code = 422 }: { name?: string; code?: 404 | 422 } = {}) =>
    answer(c, { kind: 'error', text }, { name, code })
  /** The answer to a create or update: the done message, or why it was not written. */
  const afterWrite = (c: Context, result: PresetWrite, { done, name }: { done: string; name: string }) => {
    if (result.ok) return answer(c, { kind: 'ok', text: done }, { selected: result.preset.id })
    return result.reason === 'duplicate'
      ? error(c, `A preset named “${name}” already exists; choose another name.`, { name })
      : error(c, PRESET_GONE_MESSAGE, { name, code: 404 })
  }

  app.use('*', async (c, next) => {
    if (!ctx.presets) return c.text('presets are not enabled on this server', 503)
    await next()
  })

  app.post('/save', async (c) => {
    const store = ctx.presets!
    const form = (await c.req.parseBody({ all: true })) as FormBody
    const rawName = str(form.preset_name)
    const fields = formToBody(form)
    const parsed = NewPresetSchema.safeParse({ ...fields, name: rawName })
    if (!parsed.success) {
      const first = parsed.error.issues[0]
      const where = first && first.path[0] !== 'name' ? `${formatPath(first.path)}: ` : ''
      return error(c, `Not saved: ${where}${first?.message ?? 'invalid preset'}.`, { name: rawName })
    }
    const result = await store.create(toPresetInput(parsed.data))
    return afterWrite(c, result, { done: `Saved “${parsed.data.name}”.`, name: parsed.data.name })
  })

  app.post('/rename', async (c) => {
    const store = ctx.presets!
    const form = (await c.req.parseBody()) as Record<string, unknown>
    const rawName = str(form.preset_name)
    const id = presetId(str(form.preset))
    const preset = id === null ? null : await store.get(id)
    if (!preset) return error(c, 'Choose a preset to rename.', { name: rawName, code: 404 })
    const name = PresetNameSchema.safeParse(rawName)
    if (!name.success) return error(c, `Not renamed: ${name.error.issues[0]?.message}.`, { name: rawName })
    const result = await store.update(preset.id, { ...presetInputOf(preset), name: name.data })
    return afterWrite(c, result, { done: `Renamed “${preset.name}” to “${name.data}”.`, name: name.data })
  })

  app.post('/delete', async (c) => {
    const store = ctx.presets!
    const form = (await c.req.parseBody()) as Record<string, unknown>
    const id = presetId(str(form.preset))
    const preset = id === null ? null : await store.get(id)
    if (!preset || !(await store.delete(preset.id)))
      return error(c, 'Choose a preset to delete.', { name: '', code: 404 })
    return answer(c, { kind: 'ok', text: `Deleted “${preset.name}”.` })
  })

  return app
}
