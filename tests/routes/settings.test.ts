import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer } from 'node:net'
import { startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { KeyStore } from '../../src/keys/key-store.ts'
import { CustomProviderStore } from '../../src/settings/custom-providers.ts'
import { formPost, rawRequest } from '../security/http.ts'
import { startKeyUpstream, type KeyUpstream } from '../security/key-upstream.ts'

const ENV_KEY = 'envkey-0123456789abcdef-ENV1'
const CONFIG_KEY = 'cfgkey-0123456789abcdef-CFG2'
const STORED_KEY = 'stored-0123456789abcdef-STO3'
const OTHER_KEY = 'stored-0123456789abcdef-NEW4'

let good: KeyUpstream // accepts STORED_KEY
let nolist: KeyUpstream // cannot list models; accepts STORED_KEY
let juxta: RunningJuxta
let dir: string
let host: string

/** A port nothing listens on (fetch refuses "bad ports" such as 1 before connecting). */
async function closedPort(): Promise<number> {
  const server = createServer()
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  )
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

beforeAll(async () => {
  const downPort = await closedPort()
  good = await startKeyUpstream({ key: STORED_KEY, models: ['m1', 'm2', 'extra'] })
  nolist = await startKeyUpstream({ key: STORED_KEY, listModels: false })
  dir = mkdtempSync(join(tmpdir(), 'juxta-settings-'))
  const log = () => {}
  juxta = await startJuxta({
    config: {
      run: { max_retries: 0, connect_timeout_ms: 3000 },
      providers: {
        demo: { builtin: 'demo', models: [{ id: 'fast', simulate: { ttft_ms: 0, tokens_per_s: 10_000 } }] },
        envp: { name: 'Env provider', base_url: good.url, api_key: '${ENV_KEY_VAR}', models: ['m1'] },
        cfgp: { name: 'Config provider', base_url: good.url, api_key: CONFIG_KEY, models: ['m1'] },
        storep: { name: 'Stored provider', base_url: good.url, models: ['m1', 'm2', 'gone'] },
        nolistp: { base_url: nolist.url, models: ['m1'] },
        local: {
          name: 'Local server',
          base_url: `http://127.0.0.1:${downPort}/v1`,
          requires_key: false,
          models: ['tiny'],
        },
        meta: { base_url: 'http://169.254.169.254/v1', models: ['m'] },
      },
    },
    env: { ENV_KEY_VAR: ENV_KEY },
    keys: KeyStore.open(join(dir, 'keys.json'), { log }),
    customProviders: CustomProviderStore.open(join(dir, 'providers.json'), log),
  })
  host = new URL(juxta.url).host
})

afterAll(async () => {
  await juxta?.close()
  await good?.close()
  await nolist?.close()
  rmSync(dir, { recursive: true, force: true })
})

const page = async (path = '/settings') => (await rawRequest(`${juxta.url}${path}`, { headers: { host } })).body
const post = (path: string, fields: Record<string, string | string[]> = {}) => formPost(juxta.url, path, fields)
const del = (path: string) => formPost(juxta.url, path, {}, 'DELETE')

function cardOf(html: string, id: string): string {
  const start = html.indexOf(`id="provider-${id}"`)
  if (start < 0) throw new Error(`no card for ${id}`)
  const end = html.indexOf('</section>', start)
  return html.slice(start, end)
}

const keyStatus = (html: string, id: string) => /data-key-status="([a-z_]+)"/.exec(cardOf(html, id))?.[1]

describe('the settings page', () => {
  it('lists every provider with base URL, models and key status, showing at most 4 characters of a key', async () => {
    const html = await page()
    expect(keyStatus(html, 'demo')).toBe('not_needed')
    expect(keyStatus(html, 'envp')).toBe('env')
    expect(keyStatus(html, 'cfgp')).toBe('config')
    expect(keyStatus(html, 'storep')).toBe('missing')
    expect(keyStatus(html, 'local')).toBe('not_needed')
    expect(cardOf(html, 'envp')).toContain('key from env ••••ENV1')
    expect(cardOf(html, 'cfgp')).toContain('key from config ••••CFG2')
    expect(cardOf(html, 'storep')).toContain('key missing')
    expect(cardOf(html, 'local')).toContain('key not needed')
    expect(cardOf(html, 'storep')).toContain(good.url)
    expect(cardOf(html, 'storep')).toContain('<code>m2</code>')
    expect(cardOf(html, 'demo')).toContain('served by Juxta itself')
    expect(cardOf(html, 'meta')).toMatch(/refuses to connect/)
    expect(html).not.toContain(ENV_KEY)
    expect(html).not.toContain(CONFIG_KEY)
    expect(html).not.toContain(ENV_KEY.slice(-5))
    // Keys from env and config cannot be overridden from the page; a missing one can be entered.
    expect(cardOf(html, 'envp')).not.toContain('name="api_key"')
    expect(cardOf(html, 'storep')).toContain('name="api_key"')
    expect(cardOf(html, 'storep')).toMatch(/type="password"/)
    expect(html).toMatch(/not encrypted: set JUXTA_SECRET/)
  })

  it('stores a key write-only: the answer shows a masked hint, the target is ready, nothing echoes it', async () => {
    const res = await post('/settings/providers/storep/key', { api_key: `  ${STORED_KEY}\n` })
    expect(res.status).toBe(200)
    expect(res.body).toContain('key stored ••••STO3')
    expect(res.body).toContain('Key saved.')
    expect(res.body).not.toContain(STORED_KEY)
    expect(res.body).toMatch(/<input[^>]*name="api_key"(?![^>]*value=)/)
    expect(keyStatus(await page(), 'storep')).toBe('stored')
    const targets = JSON.parse(await page('/api/targets')) as Array<{ target: string; key_status: string }>
    expect(targets.find((t) => t.target === 'storep/m1')?.key_status).toBe('stored')
    const compare = await page('/')
    expect(compare).toMatch(/<input type="checkbox" name="targets" value="storep\/m1"(?![^>]*disabled)/)
    expect(compare).not.toContain(STORED_KEY)
    // On disk in the data directory, 0600, bound to the upstream's origin; never in the page again.
    const file = JSON.parse(readFileSync(join(dir, 'keys.json'), 'utf8'))
    expect(file.keys.storep.origin).toBe(good.origin)
    expect(statSync(join(dir, 'keys.json')).mode & 0o777).toBe(0o600)
  })

  it('tests a provider: ok with latency and the models listed, naming configured ones the upstream lacks', async () => {
    const res = await post('/settings/providers/storep/test')
    expect(res.status).toBe(200)
    expect(res.body).toContain('data-status="ok"')
    expect(res.body).toMatch(/\d+ ms/)
    expect(res.body).toContain('3 model(s) listed')
    expect(res.body).toContain('not listed: gone')
    expect(good.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v1/models' })
    expect(good.requests.at(-1)!.headers.authorization).toBe(`Bearer ${STORED_KEY}`)
  })

  it('tests with a 1-token completion when the endpoint cannot list models', async () => {
    await post('/settings/providers/nolistp/key', { api_key: STORED_KEY })
    const res = await post('/settings/providers/nolistp/test')
    expect(res.body).toContain('data-status="ok"')
    expect(res.body).toContain('1-token completion with m1')
    const last = nolist.requests.at(-1)!
    expect(last).toMatchObject({ method: 'POST', path: '/v1/chat/completions' })
  })

  it('reports auth failed without the key the upstream echoed, and unreachable servers', async () => {
    await post('/settings/providers/storep/key', { api_key: OTHER_KEY })
    const failed = await post('/settings/providers/storep/test')
    expect(failed.body).toContain('data-status="auth_failed"')
    expect(failed.body).toContain('auth failed')
    expect(failed.body).not.toContain(OTHER_KEY)
    expect(good.requests.at(-1)!.headers.authorization).toBe(`Bearer ${OTHER_KEY}`)
    const down = await post('/settings/providers/local/test')
    expect(down.body).toContain('data-status="unreachable"')
    expect(down.body).toContain('ECONNREFUSED')
    const meta = await post('/settings/providers/meta/test')
    expect(meta.body).toContain('data-status="unreachable"')
    expect(meta.body).toContain('refused to connect')
    const demo = await post('/settings/providers/demo/test')
    expect(demo.body).toContain('data-status="ok"')
    expect(juxta.logs.join('\n')).not.toContain(OTHER_KEY)
  })

  it('replaces and deletes a stored key', async () => {
    const replaced = await post('/settings/providers/storep/key', { api_key: STORED_KEY })
    expect(replaced.body).toContain('••••STO3')
    const deleted = await del('/settings/providers/storep/key')
    expect(deleted.status).toBe(200)
    expect(deleted.body).toContain('Stored key deleted.')
    expect(keyStatus(deleted.body, 'storep')).toBe('missing')
    expect(await page('/')).toMatch(/value="storep\/m1" disabled/)
    expect(JSON.parse(readFileSync(join(dir, 'keys.json'), 'utf8')).keys.storep).toBeUndefined()
  })

  it('rejects bad keys with a message that does not quote them', async () => {
    const spaced = await post('/settings/providers/storep/key', { api_key: 'has a space-0123456789' })
    expect(spaced.status).toBe(422)
    expect(spaced.body).toContain('printable ASCII')
    expect(spaced.body).not.toContain('has a space')
    const injected = await post('/settings/providers/storep/key', { api_key: 'abc\r\nX-Evil: 1' })
    expect(injected.status).toBe(422)
    expect(injected.body).not.toContain('X-Evil')
    const huge = await post('/settings/providers/storep/key', { api_key: 'k'.repeat(9000) })
    expect(huge.status).toBe(422)
    expect((await post('/settings/providers/storep/key', { api_key: '   ' })).status).toBe(422)
    expect(keyStatus(await page(), 'storep')).toBe('missing')
  })

  it('never stores a key over one from env or config, for a keyless provider, or for a refused address', async () => {
    const env = await post('/settings/providers/envp/key', { api_key: STORED_KEY })
    expect(env.status).toBe(409)
    expect(env.body).toContain('environment')
    expect((await post('/settings/providers/cfgp/key', { api_key: STORED_KEY })).status).toBe(409)
    expect((await post('/settings/providers/local/key', { api_key: STORED_KEY })).status).toBe(409)
    expect((await post('/settings/providers/demo/key', { api_key: STORED_KEY })).status).toBe(409)
    const meta = await post('/settings/providers/meta/key', { api_key: STORED_KEY })
    expect(meta.status).toBe(422)
    expect(meta.body).toMatch(/link-local/)
    expect(readFileSync(join(dir, 'keys.json'), 'utf8')).not.toContain('"envp"')
    expect((await post('/settings/providers/nope/key', { api_key: STORED_KEY })).status).toBe(404)
  })

  it('sends no-store so keys status pages are not cached', async () => {
    const res = await rawRequest(`${juxta.url}/settings`, { headers: { host } })
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.headers['content-security-policy']).toContain("script-src 'self'")
    expect(res.headers['content-security-policy']).not.toContain('unsafe-eval')
  })
})
