import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { openSqliteRunStore, type SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { KeyStore } from '../../src/keys/key-store.ts'
import { CustomProviderStore } from '../../src/settings/custom-providers.ts'
import { rawRequest, type RawResponse } from './http.ts'
import { startKeyUpstream, type KeyUpstream } from './key-upstream.ts'

// Not shaped like sk-…: only redaction by exact value can catch these, not the pattern fallback.
const ENV_CANARY = 'canaryEnv7Q2xW9pL4mZ8rT1vB6nK3'
const CONFIG_CANARY = 'canaryCfg5H8jD2sF6gA9qW3eR7yU1'
const STORED_CANARY = 'canarySto4N1bV8cX5zL2kJ9hG6fD3'
const CANARIES = [ENV_CANARY, CONFIG_CANARY, STORED_CANARY]
const SECRET = 'canary-test-juxta-secret-0123456789'

let upstream: FakeUpstream // streams answers; model fault:401 answers 401 echoing the key
let echo: KeyUpstream // answers every request, /models included, with 401 echoing the key
let store: SqliteRunStore
let dir: string
let juxta: RunningJuxta
let host: string
const seen: Array<{ what: string; res: RawResponse }> = []

const ENDPOINTS = (p: string) => ({ [`${p}`]: upstream.url, [`${p}-echo`]: echo.url })

beforeAll(async () => {
  upstream = await startFakeUpstream()
  upstream.script('chat', { kind: 'text', deltas: ['fine', ' answer'] })
  echo = await startKeyUpstream({ key: 'a-key-nobody-has-0000000000000' })
  dir = mkdtempSync(join(tmpdir(), 'juxta-canary-'))
  store = openSqliteRunStore(join(dir, 'juxta.db'))
  const providers: Record<string, unknown> = {}
  for (const [id, url] of Object.entries(ENDPOINTS('envp')))
    providers[id] = { base_url: url, api_key: '${CANARY_ENV_KEY}', models: ['chat', 'fault:401'] }
  for (const [id, url] of Object.entries(ENDPOINTS('cfgp')))
    providers[id] = { base_url: url, api_key: CONFIG_CANARY, models: ['chat', 'fault:401'] }
  for (const [id, url] of Object.entries(ENDPOINTS('storep')))
    providers[id] = { base_url: url, models: ['chat', 'fault:401'] }
  juxta = await startJuxta({
    config: { run: { max_retries: 1, connect_timeout_ms: 3000, idle_timeout_ms: 3000 }, providers },
    env: { CANARY_ENV_KEY: ENV_CANARY },
    store,
    keys: KeyStore.open(join(dir, 'keys.json'), { secret: SECRET }),
    customProviders: CustomProviderStore.open(join(dir, 'providers.json')),
  })
  host = new URL(juxta.url).host
})

afterAll(async () => {
  await juxta?.close()
  await store?.close()
  await upstream?.close()
  await echo?.close()
  rmSync(dir, { recursive: true, force: true })
})

async function call(
  what: string,
  path: string,
  init: { method?: string; form?: Record<string, string | string[]>; json?: unknown } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { host, origin: juxta.url, accept: 'text/html, */*' }
  let body: string | undefined
  if (init.form) {
    const params = new URLSearchParams()
    for (const [k, v] of Object.entries(init.form)) for (const one of Array.isArray(v) ? v : [v]) params.append(k, one)
    body = params.toString()
    headers['content-type'] = 'application/x-www-form-urlencoded'
    headers['hx-request'] = 'true'
  } else if (init.json !== undefined) {
    body = JSON.stringify(init.json)
    headers['content-type'] = 'application/json'
  }
  const res = await rawRequest(`${juxta.url}${path}`, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body,
  })
  seen.push({ what, res })
  return res
}

function leaks(text: string): string[] {
  // The whole key, its start, or more than the last four characters.
  return CANARIES.filter((k) => text.includes(k) || text.includes(k.slice(0, 14)) || text.includes(k.slice(-5)))
}

const TARGETS = ['envp', 'envp-echo', 'cfgp', 'cfgp-echo', 'storep', 'storep-echo', 'custom'].flatMap((p) => [
  `${p}/chat`,
  `${p}/fault:401`,
])

describe('canary keys set through env, config and the settings page', () => {
  it('are entered in the page without coming back', async () => {
    for (const id of ['storep', 'storep-echo']) {
      const res = await call(`store key ${id}`, `/settings/providers/${id}/key`, { form: { api_key: STORED_CANARY } })
      expect(res.status).toBe(200)
    }
    const added = await call('add custom provider', '/settings/providers', {
      form: { id: 'custom', base_url: upstream.url, models: 'chat\nfault:401', api_key: STORED_CANARY },
    })
    expect(added.status).toBe(200)
    expect(juxta.ctx.catalog().providers.map((p) => p.keyStatus)).toEqual([
      'env',
      'env',
      'config',
      'config',
      'stored',
      'stored',
      'stored',
    ])
  })

  it('are used, rejected with the key echoed back, and tested, everywhere the app can show them', async () => {
    await call('compare page', '/')
    await call('settings page', '/settings')
    await call('targets', '/api/targets')
    for (const p of juxta.ctx.catalog().providers) {
      const test = await call(`test ${p.id}`, `/settings/providers/${p.id}/test`, { form: {} })
      expect(test.body).toMatch(p.id.endsWith('-echo') ? /data-status="auth_failed"/ : /data-status="ok"/)
    }
    const json = await call('compare JSON', '/api/compare', { json: { prompt: 'hello', targets: TARGETS } })
    expect(json.status).toBe(200)
    const results = JSON.parse(json.body).results as Array<{
      status: string
      error: { kind: string; message: string } | null
    }>
    // Half the targets really failed authentication, with upstream messages that quoted the key.
    expect(results.filter((r) => r.error?.kind === 'auth')).toHaveLength(10)
    expect(results.filter((r) => r.status === 'ok')).toHaveLength(4)
    expect(results.find((r) => r.error?.kind === 'auth')!.error!.message).toMatch(
      /authentication failed \(401\): Incorrect API key provided: \[redacted\]/,
    )
    await call('compare SSE', '/api/compare', { json: { prompt: 'hello again', targets: TARGETS, stream: true } })
    await call('estimate', '/api/estimate', { json: { prompt: 'hello', targets: TARGETS } })
    await call('estimate form', '/estimate', { form: { prompt: 'hello', targets: TARGETS } })
    const page = await call('page run', '/runs', { form: { prompt: 'from the page', targets: TARGETS } })
    expect(page.body).toContain('event: done')
    const runId = /data-run-id="([^"]+)"/.exec(page.body)?.[1]
    expect(runId).toBeTruthy()
    await call('retry a failing column', `/runs/${runId}/retry/1`, { form: {} })
    // The upstreams did receive the keys (so there was something to leak).
    expect(upstream.requests.some((r) => r.headers.authorization === `Bearer ${STORED_CANARY}`)).toBe(true)
    expect(echo.requests.some((r) => r.headers.authorization === `Bearer ${ENV_CANARY}`)).toBe(true)
  })

  it('do not reach history, its pages or its exports', async () => {
    const list = JSON.parse((await call('runs list', '/api/runs')).body) as {
      runs?: Array<{ id: string }>
      items?: Array<{ id: string }>
    }
    const runs = list.runs ?? list.items ?? []
    expect(runs.length).toBeGreaterThanOrEqual(3)
    for (const r of runs) {
      await call(`run ${r.id}`, `/api/runs/${r.id}`)
      await call(`run page ${r.id}`, `/runs/${r.id}`)
    }
    await call('history page', '/history')
    await call('spend page', '/spend')
    await call('spend API', '/api/spend')
    const exportJson = await call('export JSON', '/api/runs/export.json')
    expect(exportJson.status).toBe(200)
    expect(exportJson.body).toContain('authentication failed')
    expect((await call('export CSV', '/api/runs/export.csv')).status).toBe(200)
  })

  it('never appear in any response body or header', () => {
    expect(seen.length).toBeGreaterThan(30)
    for (const { what, res } of seen) {
      expect(leaks(res.body), `${what}: body`).toEqual([])
      expect(leaks(JSON.stringify(res.headers)), `${what}: headers`).toEqual([])
    }
  })

  it('never appear in a log line', () => {
    expect(juxta.logs.length).toBeGreaterThan(0)
    for (const line of juxta.logs) expect(leaks(line), line).toEqual([])
  })

  it('never appear in the SQLite files or any other file in the data directory', async () => {
    // Whatever is in the WAL counts too; read every file as bytes.
    const files = readdirSync(dir)
    expect(files).toEqual(expect.arrayContaining(['juxta.db', 'keys.json', 'providers.json']))
    for (const file of files) {
      const bytes = readFileSync(join(dir, file))
      for (const k of CANARIES) {
        expect(bytes.includes(Buffer.from(k)), `${file} contains a key`).toBe(false)
        expect(bytes.includes(Buffer.from(k.slice(0, 14))), `${file} contains part of a key`).toBe(false)
      }
    }
    // The files scanned really hold the history (the errors were saved, only without the keys).
    const history = Buffer.concat(files.filter((f) => f.startsWith('juxta.db')).map((f) => readFileSync(join(dir, f))))
    expect(history.includes(Buffer.from('authentication failed (401): Incorrect API key provided: [redacted]'))).toBe(
      true,
    )
  })
})
