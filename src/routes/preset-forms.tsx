import { Hono, type Context } from 'hono'
import type { AppContext } from '../context.ts'
import { formatPath } from '../config/load.ts'
import { NewPresetSchema, PresetNameSchema, toPresetInput } from '../presets/preset-rules.ts'
import type { PresetStore, PresetWrite } from '../storage/preset-store.ts'
import { PresetControlBody, type PresetStatus } from '../../views/preset-control.tsx'
import { presetId } from './presets-api.ts'
import { formToBody } from './pages.tsx'

type FormBody = Record<string, string | File | Array<string | File>>

const str = (v: unknown): string => (typeof v === 'string' ? v : '')

/** The presets control's htmx actions; each answers the control again, with 422 and the message on an error. */
export function presetFormRoutes(ctx: AppContext): Hono {
  const app = new Hono()

  const answer = async (
    c: Context,
    store: PresetStore,
    status: PresetStatus,
    extra: { selected?: number; name?: string; code?: 200 | 404 | 422 } = {},
  ) => {
    const presets = await store.list()
    return c.html(
      <PresetControlBody presets={presets} selected={extra.selected} name={extra.name} status={status} focus />,
      extra.code ?? 200,
    )
  }
  const error = (c: Context, store: PresetStore, text: string, name?: string, code: 404 | 422 = 422) =>
    answer(c, store, { kind: 'error', text }, { name, code })
  const afterWrite = (c: Context, store: PresetStore, result: PresetWrite, done: string, name: string) => {
    if (result.ok) return answer(c, store, { kind: 'ok', text: done }, { selected: result.preset.id })
    return result.reason === 'duplicate'
      ? error(c, store, `A preset named “${name}” already exists; choose another name.`, name)
      : error(c, store, 'That preset does not exist any more.', name, 404)
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
      return error(c, store, `Not saved: ${where}${first?.message ?? 'invalid preset'}.`, rawName)
    }
    const result = await store.create(toPresetInput(parsed.data))
    return afterWrite(c, store, result, `Saved “${parsed.data.name}”.`, parsed.data.name)
  })

  app.post('/rename', async (c) => {
    const store = ctx.presets!
    const form = (await c.req.parseBody()) as Record<string, unknown>
    const rawName = str(form.preset_name)
    const id = presetId(str(form.preset))
    const preset = id === null ? null : await store.get(id)
    if (!preset) return error(c, store, 'Choose a preset to rename.', rawName, 404)
    const name = PresetNameSchema.safeParse(rawName)
    if (!name.success) return error(c, store, `Not renamed: ${name.error.issues[0]?.message}.`, rawName)
    const { id: _id, created_at: _c, updated_at: _u, ...fields } = preset
    const result = await store.update(preset.id, { ...fields, name: name.data })
    return afterWrite(c, store, result, `Renamed “${preset.name}” to “${name.data}”.`, name.data)
  })

  app.post('/delete', async (c) => {
    const store = ctx.presets!
    const form = (await c.req.parseBody()) as Record<string, unknown>
    const id = presetId(str(form.preset))
    const preset = id === null ? null : await store.get(id)
    if (!preset || !(await store.delete(preset.id))) return error(c, store, 'Choose a preset to delete.', '', 404)
    return answer(c, store, { kind: 'ok', text: `Deleted “${preset.name}”.` })
  })

  return app
}
