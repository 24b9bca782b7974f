import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { formPost, rawRequest } from '../security/http.ts'

const checker = join(
  createRequire(import.meta.url).resolve('htmx.org/package.json'),
  '..',
  'dist',
  'scripts',
  'upgrade-check.js',
)

let upstream: FakeUpstream
let juxta: RunningJuxta
let tokenJuxta: RunningJuxta
let dir: string

beforeAll(async () => {
  upstream = await startFakeUpstream()
  upstream.script('m', { kind: 'text' })
  upstream.script('extra', { kind: 'text' })
  const config = {
    providers: {
      local: { base_url: upstream.url, requires_key: false, models: ['m'] },
      remote: { base_url: upstream.url, models: ['m'] },
    },
  }
  juxta = await startJuxta({ config })
  tokenJuxta = await startJuxta({ config, access: { authToken: 'x'.repeat(40), allowedHosts: [] } })
  dir = mkdtempSync(join(tmpdir(), 'juxta-settings-htmx-'))
})

afterAll(async () => {
  await juxta?.close()
  await tokenJuxta?.close()
  await upstream?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('settings and login HTML', () => {
  it('passes htmx 4 upgrade-check, pages and every fragment', async () => {
    const files: Record<string, string> = {
      settings: (await rawRequest(`${juxta.url}/settings`, { headers: { host: new URL(juxta.url).host } })).body,
      login: (await rawRequest(`${tokenJuxta.url}/login`, { headers: { host: new URL(tokenJuxta.url).host } })).body,
      added: (await formPost(juxta.url, '/settings/providers', { id: 'mine', base_url: upstream.url, models: 'm 1 2' }))
        .body,
      card: (await formPost(juxta.url, '/settings/providers/remote/key', { api_key: 'k-0123456789abcdefghij' })).body,
      errors: (await formPost(juxta.url, '/settings/providers/remote/key', { api_key: 'bad key' })).body,
      test: (await formPost(juxta.url, '/settings/providers/local/test', {})).body,
      discovered: (await formPost(juxta.url, '/settings/discover', {})).body,
    }
    expect(files.discovered).toContain('Add to mine')
    expect(files.discovered).toContain('Add as a new provider')
    for (const [name, html] of Object.entries(files)) writeFileSync(join(dir, `${name}.html`), html)
    const run = spawnSync('node', [checker, dir], { encoding: 'utf8' })
    expect(`${run.stdout}${run.stderr}`).toContain(`Scanning ${Object.keys(files).length} file(s)`)
    expect(run.status, `${run.stdout}${run.stderr}`).toBe(0)
  })
})
