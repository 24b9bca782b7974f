import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startJuxta, postCompare, type RunningJuxta } from '../helpers/juxta.ts'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { KeyStore } from '../../src/keys/key-store.ts'
import { CustomProviderStore } from '../../src/settings/custom-providers.ts'
import { formPost, rawRequest } from '../security/http.ts'
import { FORBIDDEN_URLS } from '../security/forbidden-urls.ts'

const KEY = 'custom-key-0123456789abcdef-K9Z1'
const SECRET = 'settings-test-secret-0123456789'
const CONFIG = {
  run: { max_retries: 0, connect_timeout_ms: 3000 },
  providers: {
    demo: { builtin: 'demo', models: ['fast'] },
    openai: { base_url: 'https://api.openai.com/v1', models: ['gpt-x'] },
  },
}

let a: FakeUpstream
let b: FakeUpstream
let dir: string
let juxta: RunningJuxta

function open(logs: string[] = []) {
  const log = (l: string) => logs.push(l)
  return startJuxta({
    config: CONFIG,
    keys: KeyStore.open(join(dir, 'keys.json'), { secret: SECRET, log }),
    customProviders: CustomProviderStore.open(join(dir, 'providers.json'), log),
  })
}

beforeAll(async () => {
  a = await startFakeUpstream()
  b = await startFakeUpstream()
  for (const up of [a, b]) up.script('chat-1', { kind: 'text', deltas: ['hello'] })
  dir = mkdtempSync(join(tmpdir(), 'juxta-custom-'))
  juxta = await open()
})

afterAll(async () => {
  await juxta?.close()
  await a?.close()
  await b?.close()
  rmSync(dir, { recursive: true, force: true })
})

const post = (path: string, fields: Record<string, string | string[]> = {}) => formPost(juxta.url, path, fields)
const del = (path: string) => formPost(juxta.url, path, {}, 'DELETE')
const targets = async () =>
  JSON.parse(
    (await rawRequest(`${juxta.url}/api/targets`, { headers: { host: new URL(juxta.url).host } })).body,
  ) as Array<{ target: string; key_status: string }>
const authHeaders = (up: FakeUpstream, from = 0) =>
  up.requests.slice(from).map((r) => String(r.headers.authorization ?? ''))

describe('custom providers', () => {
  it('adds a provider with models, prices and a key; it is usable at once, without a restart', async () => {
    const res = await post('/settings/providers', {
      id: 'mine',
      name: 'My server',
      base_url: a.url,
      models: 'chat-1 0.5 1.5\nchat-2',
      api_key: KEY,
    })
    expect(res.status).toBe(200)
    expect(res.body).toContain('Added mine.')
    expect(res.body).toContain('key stored ••••K9Z1')
    expect(res.body).not.toContain(KEY)
    expect((await targets()).filter((t) => t.target.startsWith('mine/')).map((t) => t.target)).toEqual([
      'mine/chat-1',
      'mine/chat-2',
    ])
    const run = await postCompare(juxta.url, { prompt: 'hi', targets: ['mine/chat-1'] })
    expect(run.body.results[0]!.status).toBe('ok')
    expect(run.body.results[0]!.cost.total_usd).not.toBeNull()
    expect(authHeaders(a).at(-1)).toBe(`Bearer ${KEY}`)
    const saved = JSON.parse(readFileSync(join(dir, 'providers.json'), 'utf8'))
    expect(saved.providers.mine).toEqual({
      name: 'My server',
      base_url: a.url,
      models: [{ id: 'chat-1', price: { input: 0.5, output: 1.5 } }, 'chat-2'],
    })
    expect(readFileSync(join(dir, 'providers.json'), 'utf8')).not.toContain(KEY)
    expect(readFileSync(join(dir, 'keys.json'), 'utf8')).not.toContain(KEY)
  })

  it('validates with the config schema and the address rules, and keeps nothing that failed', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ id: 'Bad Id', base_url: a.url, models: 'm' }, /provider ids use a-z/],
      [{ id: 'ok-id', base_url: 'file:///etc/passwd', models: 'm' }, /http:\/\/ or https:\/\//],
      [{ id: 'ok-id', base_url: 'http://2852039166/v1', models: 'm' }, /link-local/],
      [{ id: 'ok-id', base_url: 'http://user:pw@127.0.0.1/v1', models: 'm' }, /user:password/],
      [{ id: 'ok-id', base_url: a.url, models: '' }, /models/],
      [{ id: 'ok-id', base_url: a.url, models: 'm one two' }, /models line 1/],
      [{ id: 'ok-id', base_url: a.url, models: 'm -1 2' }, /models\[0\]\.price\.input/],
      [{ id: 'ok-id', base_url: a.url, models: 'm\nm' }, /duplicate model id/],
      [{ id: 'openai', base_url: a.url, models: 'm' }, /already used/],
      [{ id: 'demo', base_url: a.url, models: 'm' }, /already used/],
      [{ id: 'ok-id', base_url: a.url, models: 'm', api_key: 'bad key' }, /api_key: must be printable/],
    ]
    for (const [fields, message] of cases) {
      const res = await post('/settings/providers', fields)
      expect(res.status, JSON.stringify(fields)).toBe(422)
      expect(res.body).toMatch(message)
      expect(res.body).toContain('class="form-errors"')
      expect(res.body).not.toContain('bad key')
    }
    expect((await targets()).some((t) => t.target.startsWith('ok-id/'))).toBe(false)
    expect(JSON.parse(readFileSync(join(dir, 'providers.json'), 'utf8')).providers['ok-id']).toBeUndefined()
  })

  it('refuses every spelling of a metadata or otherwise forbidden address as a base URL', async () => {
    for (const url of FORBIDDEN_URLS) {
      const res = await post('/settings/providers', { id: 'sneaky', base_url: url, models: 'm' })
      expect(res.status, url).toBe(422)
      expect(res.body, url).toMatch(/base_url: /)
      const edit = await post('/settings/providers/mine', { base_url: url, models: 'chat-1' })
      expect(edit.status, url).toBe(422)
    }
    expect(juxta.ctx.catalog().provider('sneaky')).toBeUndefined()
    expect(juxta.ctx.customProviders.get('mine')?.base_url).toBe(a.url)
  })

  it('keeps the key when the base URL changes path on the same origin', async () => {
    const res = await post('/settings/providers/mine', {
      name: 'My server',
      base_url: `${a.origin}/v2`,
      models: 'chat-1 0.5 1.5\nchat-2',
    })
    expect(res.status).toBe(200)
    expect(res.body).toContain('Saved mine.')
    expect((await targets()).find((t) => t.target === 'mine/chat-1')?.key_status).toBe('stored')
  })

  it('drops the key when the base URL moves to another origin: the new origin never receives it', async () => {
    const fromB = b.requests.length
    const res = await post('/settings/providers/mine', { name: 'My server', base_url: b.url, models: 'chat-1\nchat-2' })
    expect(res.status).toBe(200)
    expect(res.body).toContain('so the stored key was deleted')
    expect((await targets()).find((t) => t.target === 'mine/chat-1')?.key_status).toBe('missing')
    expect(JSON.parse(readFileSync(join(dir, 'keys.json'), 'utf8')).keys.mine).toBeUndefined()
    // A run is refused (needs a key); a test reaches B without any key.
    const run = await postCompare(juxta.url, { prompt: 'hi', targets: ['mine/chat-1'] })
    expect(run.status).toBe(422)
    expect((await post('/settings/providers/mine/test')).body).toContain('data-status="ok"')
    // Marked keyless, it runs against B, still without the old key.
    await post('/settings/providers/mine', { name: 'My server', base_url: b.url, models: 'chat-1', no_key: 'on' })
    const keyless = await postCompare(juxta.url, { prompt: 'hi', targets: ['mine/chat-1'] })
    expect(keyless.body.results[0]!.status).toBe('ok')
    expect(b.requests.length).toBeGreaterThan(fromB + 1)
    for (const header of authHeaders(b, fromB)) expect(header).not.toContain(KEY)
  })

  it('comes back after a restart from the data directory (encrypted key included)', async () => {
    await post('/settings/providers/mine', { name: 'My server', base_url: b.url, models: 'chat-1' })
    await post('/settings/providers/mine/key', { api_key: KEY })
    const again = await open()
    try {
      const host = new URL(again.url).host
      const list = JSON.parse((await rawRequest(`${again.url}/api/targets`, { headers: { host } })).body) as Array<{
        target: string
        key_status: string
      }>
      expect(list.find((t) => t.target === 'mine/chat-1')?.key_status).toBe('stored')
      expect(again.ctx.catalog().provider('mine')?.apiKey).toBe(KEY)
    } finally {
      await again.close()
    }
  })

  it('lets the config file win on an id clash, saying so in the log', async () => {
    const file = JSON.parse(readFileSync(join(dir, 'providers.json'), 'utf8'))
    file.providers.openai = { base_url: a.url, models: ['x'] }
    writeFileSync(join(dir, 'providers.json'), JSON.stringify(file))
    const again = await open()
    try {
      expect(again.ctx.catalog().provider('openai')?.baseURL).toBe('https://api.openai.com/v1')
      expect(again.logs.join('\n')).toMatch(/config file defines openai/)
    } finally {
      await again.close()
    }
    delete file.providers.openai
    writeFileSync(join(dir, 'providers.json'), JSON.stringify(file))
  })

  it('does not edit or remove providers of the config file', async () => {
    expect((await post('/settings/providers/openai', { base_url: a.url, models: 'x' })).status).toBe(409)
    expect((await del('/settings/providers/openai')).status).toBe(409)
    expect((await del('/settings/providers/nope')).status).toBe(404)
  })

  it('removes a custom provider together with its stored key', async () => {
    const res = await del('/settings/providers/mine')
    expect(res.status).toBe(200)
    expect(res.body).toContain('Removed mine')
    expect((await targets()).some((t) => t.target.startsWith('mine/'))).toBe(false)
    expect(JSON.parse(readFileSync(join(dir, 'keys.json'), 'utf8')).keys.mine).toBeUndefined()
    expect(existsSync(join(dir, 'providers.json'))).toBe(true)
    expect(JSON.parse(readFileSync(join(dir, 'providers.json'), 'utf8')).providers.mine).toBeUndefined()
  })
})

describe('local server discovery', () => {
  it('offers the models of a configured local endpoint and adds them as a provider', async () => {
    await post('/settings/providers', { id: 'lan', base_url: a.url, models: 'chat-1', no_key: 'on' })
    a.script('served-1', { kind: 'text' })
    a.script('served-2', { kind: 'text' })
    const res = await post('/settings/discover')
    expect(res.status).toBe(200)
    expect(res.body).toContain(a.url)
    expect(res.body).toContain('value="served-1"')
    expect(res.body).toContain('Add to lan')
    const added = await post('/settings/providers/lan/models', { model: ['served-1', 'served-2'] })
    expect(added.status).toBe(200)
    expect(added.body).toContain('Added 2 model(s) to lan.')
    expect((await targets()).filter((t) => t.target.startsWith('lan/')).map((t) => t.target)).toEqual([
      'lan/chat-1',
      'lan/served-1',
      'lan/served-2',
    ])
  })
})

describe('a data directory that cannot be written', () => {
  it('answers 500 with a clear message and leaves the key and provider state as they were', async () => {
    const gone = join(dir, 'missing-subdir')
    const broken = await startJuxta({
      config: { providers: { remote: { base_url: a.url, models: ['chat-1'] } } },
      keys: KeyStore.open(join(gone, 'keys.json')),
      customProviders: CustomProviderStore.open(join(gone, 'providers.json')),
    })
    try {
      const key = await formPost(broken.url, '/settings/providers/remote/key', { api_key: KEY })
      expect(key.status).toBe(500)
      expect(key.body).toContain('could not write to the data directory (ENOENT)')
      expect(key.body).not.toContain(KEY)
      expect(broken.ctx.catalog().provider('remote')?.keyStatus).toBe('missing')
      expect(broken.ctx.keys.secrets()).toEqual([])
      const add = await formPost(broken.url, '/settings/providers', { id: 'x', base_url: a.url, models: 'm' })
      expect(add.status).toBe(500)
      expect(broken.ctx.catalog().provider('x')).toBeUndefined()
      expect(broken.ctx.customProviders.has('x')).toBe(false)
    } finally {
      await broken.close()
    }
  })
})
