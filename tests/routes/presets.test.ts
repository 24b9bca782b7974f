import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { openSqliteRunStore, type SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { SqlitePresetStore } from '../../src/storage/sqlite-preset-store.ts'
import { buildRuntime } from '../../src/runtime.ts'

let upstream: FakeUpstream
let juxta: RunningJuxta
let store: SqliteRunStore
let presets: SqlitePresetStore
let dir: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'juxta-presets-'))
  store = openSqliteRunStore(join(dir, 'juxta.db'))
  presets = new SqlitePresetStore(store.db)
  upstream = await startFakeUpstream()
  juxta = await startJuxta({
    config: fakeConfig({ f: { base_url: upstream.url, models: ['a', 'b'] } }),
    store,
    presets,
  })
})

afterAll(async () => {
  await juxta?.close()
  await upstream?.close()
  await store?.close()
  rmSync(dir, { recursive: true, force: true })
})

const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${juxta.url}/api/presets${path}`, {
    method,
    headers: { 'content-type': 'application/json', origin: juxta.url },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  // biome-ignore lint/suspicious/noExplicitAny: a JSON body, checked field by field by the assertions
  return { status: res.status, body: (await res.json()) as any }
}

const form = async (path: string, fields: Array<[string, string]>) => {
  const res = await fetch(`${juxta.url}${path}`, {
    method: 'POST',
    body: new URLSearchParams(fields),
    headers: { origin: juxta.url },
  })
  return { status: res.status, html: await res.text() }
}

describe('presets JSON API', () => {
  it('creates, lists, renames, replaces and deletes a preset', async () => {
    const made = await api('POST', '', { name: ' Daily ', prompt: 'Summarise', targets: ['f/a'], temperature: 0.5 })
    expect(made.status).toBe(201)
    expect(made.body).toMatchObject({
      name: 'Daily',
      prompt: 'Summarise',
      system: null,
      targets: ['f/a'],
      temperature: 0.5,
      max_tokens: null,
      missing_targets: [],
    })
    const id = made.body.id as number
    expect((await api('GET', '')).body.presets.map((p: { name: string }) => p.name)).toEqual(['Daily'])

    const renamed = await api('PUT', `/${id}`, { name: 'Morning' })
    expect(renamed.status).toBe(200)
    expect(renamed.body).toMatchObject({ id, name: 'Morning', prompt: 'Summarise', temperature: 0.5 })
    const replaced = await api('PUT', `/${id}`, { prompt: 'Summarise briefly', temperature: null, max_tokens: 100 })
    expect(replaced.body).toMatchObject({ name: 'Morning', prompt: 'Summarise briefly', temperature: null })
    expect(replaced.body.max_tokens).toBe(100)

    expect(await api('DELETE', `/${id}`)).toEqual({ status: 200, body: { deleted: id } })
    expect((await api('DELETE', `/${id}`)).status).toBe(404)
    expect((await api('GET', `/${id}`)).status).toBe(404)
  })

  it('validates with the shared error shape: empty or duplicate name, bad fields, not JSON', async () => {
    const empty = await api('POST', '', { name: '   ', prompt: 'x', targets: [] })
    expect(empty.status).toBe(422)
    expect(empty.body).toEqual({
      error: { message: 'invalid preset', issues: [{ path: 'name', message: 'give the preset a name' }] },
    })
    const bad = await api('POST', '', { name: 'x', prompt: 'x', targets: ['nope'], temperature: 3, extra: 1 })
    expect(bad.status).toBe(422)
    expect(bad.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual([
      '(root)',
      'targets[0]',
      'temperature',
    ])
    await api('POST', '', { name: 'Taken', prompt: 'x', targets: [] })
    const dup = await api('POST', '', { name: 'TAKEN', prompt: 'y', targets: [] })
    expect(dup).toEqual({
      status: 422,
      body: {
        error: {
          message: 'a preset with this name already exists',
          issues: [{ path: 'name', message: 'a preset with this name already exists' }],
        },
      },
    })
    expect((await api('POST', '', '{not json')).status).toBe(400)
    expect((await api('PUT', '/abc', { name: 'x' })).status).toBe(404)
    const other = await api('POST', '', { name: 'Other', prompt: '', targets: [] })
    expect((await api('PUT', `/${other.body.id}`, {})).body.error.issues[0].message).toBe(
      'give at least one field to change',
    )
  })

  it('names the targets a preset has that the server no longer offers', async () => {
    const made = await api('POST', '', { name: 'Gone', prompt: 'x', targets: ['f/a', 'old/model'] })
    expect(made.body.missing_targets).toEqual(['old/model'])
  })
})

describe('presets control on the compare page', () => {
  it('saves the compare form under a name, and refuses an empty or taken name with 422 and the message', async () => {
    const saved = await form('/presets/save', [
      ['preset_name', 'From form'],
      ['prompt', 'What is <b>WAL</b>?'],
      ['system', 'Short answers'],
      ['targets', 'f/a'],
      ['targets', 'f/b'],
      ['temperature', '0.7'],
      ['max_tokens', '300'],
    ])
    expect(saved.status).toBe(200)
    expect(saved.html).toContain('Saved “From form”.')
    const stored = (await presets.list()).find((p) => p.name === 'From form')!
    expect(stored).toMatchObject({
      prompt: 'What is <b>WAL</b>?',
      system: 'Short answers',
      targets: ['f/a', 'f/b'],
      temperature: 0.7,
      max_tokens: 300,
    })
    expect(saved.html).toMatch(new RegExp(`<option value="${stored.id}" selected`))

    const empty = await form('/presets/save', [
      ['preset_name', ''],
      ['prompt', 'x'],
    ])
    expect(empty.status).toBe(422)
    expect(empty.html).toContain('Not saved: give the preset a name.')
    expect(empty.html).toContain('role="alert"')
    const dup = await form('/presets/save', [
      ['preset_name', 'from FORM'],
      ['prompt', 'x'],
    ])
    expect(dup.status).toBe(422)
    expect(dup.html).toContain('A preset named “from FORM” already exists; choose another name.')
    expect(dup.html).toContain('value="from FORM"')
  })

  it('renames and deletes the selected preset', async () => {
    const made = await api('POST', '', { name: 'Rename me', prompt: 'x', targets: [] })
    const id = String(made.body.id)
    const renamed = await form('/presets/rename', [
      ['preset', id],
      ['preset_name', 'Renamed'],
    ])
    expect(renamed.status).toBe(200)
    expect(renamed.html).toContain('Renamed “Rename me” to “Renamed”.')
    expect((await form('/presets/rename', [['preset', id]])).status).toBe(422)
    const deleted = await form('/presets/delete', [['preset', id]])
    expect(deleted.html).toContain('Deleted “Renamed”.')
    expect(await presets.get(Number(id))).toBeNull()
    expect((await form('/presets/delete', [['preset', id]])).status).toBe(404)
  })

  it('loads a preset into the form, and names a target that no longer exists instead of dropping it', async () => {
    const made = await api('POST', '', {
      name: 'Half gone',
      prompt: 'Compare <script>alert(1)</script> engines',
      system: 'Be exact',
      targets: ['f/b', 'retired/model-x'],
      temperature: 1.2,
      max_tokens: 50,
    })
    const page = await (await fetch(`${juxta.url}/?preset=${made.body.id}`)).text()
    expect(page).toContain('Compare &lt;script&gt;alert(1)&lt;/script&gt; engines')
    expect(page).not.toContain('<script>alert(1)')
    expect(page).toMatch(/<textarea id="system"[^>]*>Be exact<\/textarea>/)
    expect(page).toMatch(/id="temperature"[^>]*value="1.2"/)
    expect(page).toMatch(/id="max_tokens"[^>]*value="50"/)
    expect(page).toMatch(/value="f\/b" checked/)
    expect(page).not.toMatch(/value="f\/a" checked/)
    expect(page).toContain('Loaded “Half gone”, except the target retired/model-x: it is not offered here any more.')
    expect(page).toMatch(new RegExp(`<option value="${made.body.id}" selected`))
    const missing = await (await fetch(`${juxta.url}/?preset=99999`)).text()
    expect(missing).toContain('That preset does not exist any more.')
  })
})

describe('presets in the history export', () => {
  it('come back from an export imported into a fresh data directory, with added/replaced/skipped counts', async () => {
    const root = mkdtempSync(join(tmpdir(), 'juxta-presets-export-'))
    const config = join(root, 'juxta.yaml')
    const { writeFileSync } = await import('node:fs')
    writeFileSync(config, 'providers:\n  demo:\n    builtin: demo\n    models: [fast]\n')
    const headers = { host: '127.0.0.1', origin: 'http://127.0.0.1', 'content-type': 'application/json' }
    const request = (rt: ReturnType<typeof buildRuntime>, path: string, init: RequestInit = {}) =>
      rt.app.request(`http://127.0.0.1${path}`, { ...init, headers })
    const first = buildRuntime({ PORT: '0', JUXTA_CONFIG: config, JUXTA_DATA_DIR: 'one' }, { cwd: root, log: () => {} })
    const second = buildRuntime(
      { PORT: '0', JUXTA_CONFIG: config, JUXTA_DATA_DIR: 'two' },
      { cwd: root, log: () => {} },
    )
    try {
      // Without presets the export stays version 1, readable by older Juxtas.
      expect(await (await request(first, '/api/runs/export.json')).json()).toMatchObject({ version: 1, runs: [] })
      expect(await (await request(first, '/api/runs/export.json')).json()).not.toHaveProperty('presets')
      for (const name of ['Alpha', 'Beta']) {
        const body = JSON.stringify({
          name,
          prompt: `${name} prompt`,
          system: 'sys',
          targets: ['demo/fast'],
          max_tokens: 9,
        })
        expect((await request(first, '/api/presets', { method: 'POST', body })).status).toBe(201)
      }
      const exported = await (await request(first, '/api/runs/export.json')).json()
      expect(exported).toMatchObject({ format: 'juxta-runs', version: 2, runs: [] })
      expect(exported.presets.map((p: { name: string }) => p.name)).toEqual(['Alpha', 'Beta'])

      const imported = await request(second, '/api/runs/import', { method: 'POST', body: JSON.stringify(exported) })
      expect(imported.status).toBe(200)
      expect(await imported.json()).toEqual({
        imported: 0,
        skipped: 0,
        skipped_runs: [],
        presets: { added: 2, replaced: 0, skipped: 0, skipped_presets: [] },
      })
      const back = (await (await request(second, '/api/presets')).json()).presets
      expect(back).toHaveLength(2)
      expect(back[0]).toMatchObject({ name: 'Alpha', prompt: 'Alpha prompt', system: 'sys', targets: ['demo/fast'] })
      expect(back[0].max_tokens).toBe(9)

      // Again, with one preset invalid: the stored ones are skipped as not newer, the bad one with its reason.
      exported.presets.push({ ...exported.presets[0], name: '' })
      const again = await request(second, '/api/runs/import', { method: 'POST', body: JSON.stringify(exported) })
      const outcome = (await again.json()).presets
      expect(outcome).toMatchObject({ added: 0, replaced: 0, skipped: 3 })
      expect(outcome.skipped_presets[2]).toEqual({ index: 2, name: '', reason: 'name: give the preset a name' })

      // The history page's import says the same in its notice.
      const file = new FormData()
      file.set('file', new File([JSON.stringify(exported)], 'export.json', { type: 'application/json' }))
      const posted = await second.app.request('http://127.0.0.1/history/import', {
        method: 'POST',
        body: file,
        headers: { host: '127.0.0.1', origin: 'http://127.0.0.1' },
      })
      expect(posted.status).toBe(303)
      const notice = await (await request(second, posted.headers.get('location')!)).text()
      expect(notice).toContain('Imported 0 runs, skipped 0 already stored. Presets: 0 added, 0 replaced, 3 skipped.')

      // An older export (version 1, no presets) still imports; presets in a version 1 file do not.
      const v1 = { format: 'juxta-runs', version: 1, exported_at: exported.exported_at, runs: [] }
      expect((await request(second, '/api/runs/import', { method: 'POST', body: JSON.stringify(v1) })).status).toBe(200)
      const mixed = JSON.stringify({ ...v1, presets: exported.presets })
      expect((await request(second, '/api/runs/import', { method: 'POST', body: mixed })).status).toBe(422)
    } finally {
      await first.close()
      await second.close()
      rmSync(root, { recursive: true, force: true })
    }
  })
})
