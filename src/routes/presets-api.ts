import { Hono, type Context } from 'hono'
import type { AppContext } from '../context.ts'
import { apiError } from '../http/api-error.ts'
import {
  NewPresetSchema,
  PresetChangeSchema,
  presetId,
  presetInputOf,
  targetsNotOffered,
  toPresetInput,
  type Preset,
} from '../presets/preset-rules.ts'
import type { PresetWrite } from '../storage/preset-store.ts'
import { issuesOf, readJson } from './compare-input.ts'

/** Presets JSON API, mounted at /api/presets: list, create, rename or replace, delete. */
export function presetsApiRoutes(ctx: AppContext): Hono {
  const app = new Hono()
  const store = ctx.presets
  if (!store) {
    app.all('*', (c) => apiError(c, 503, 'presets are not enabled on this server'))
    return app
  }
  app.use('*', async (c, next) => {
    await next()
    c.header('cache-control', 'no-store')
  })
  // Each preset says which of its targets this server no longer offers.
  const view = (p: Preset) => ({ ...p, missing_targets: targetsNotOffered(p, ctx.catalog()) })

  app.get('/', async (c) => c.json({ presets: (await store.list()).map(view) }))

  app.get('/:id', async (c) => {
    const id = presetId(c.req.param('id'))
    const preset = id === null ? null : await store.get(id)
    return preset ? c.json(view(preset)) : apiError(c, 404, 'preset not found')
  })

  app.post('/', async (c) => {
    const json = await readJson(c.req)
    if (!json.ok) return apiError(c, 400, 'request body must be JSON')
    const body = NewPresetSchema.safeParse(json.value)
    if (!body.success) return apiError(c, 422, 'invalid preset', issuesOf(body.error))
    return written(c, await store.create(toPresetInput(body.data)), 201, view)
  })

  app.put('/:id', async (c) => {
    const id = presetId(c.req.param('id'))
    if (id === null) return apiError(c, 404, 'preset not found')
    const json = await readJson(c.req)
    if (!json.ok) return apiError(c, 400, 'request body must be JSON')
    const change = PresetChangeSchema.safeParse(json.value)
    if (!change.success) return apiError(c, 422, 'invalid preset', issuesOf(change.error))
    const current = await store.get(id)
    if (!current) return apiError(c, 404, 'preset not found')
    return written(c, await store.update(id, toPresetInput({ ...presetInputOf(current), ...change.data })), 200, view)
  })

  app.delete('/:id', async (c) => {
    const id = presetId(c.req.param('id'))
    if (id === null || !(await store.delete(id))) return apiError(c, 404, 'preset not found')
    return c.json({ deleted: id })
  })

  return app
}

function written(c: Context, result: PresetWrite, status: 200 | 201, view: (p: Preset) => object): Response {
  if (result.ok) return c.json(view(result.preset), status)
  if (result.reason === 'duplicate') {
    return apiError(c, 422, 'a preset with this name already exists', [
      { path: 'name', message: 'a preset with this name already exists' },
    ])
  }
  return apiError(c, 404, 'preset not found')
}
