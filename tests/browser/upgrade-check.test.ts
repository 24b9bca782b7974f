import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { readSSE } from '../helpers/sse.ts'
import { openSqliteRunStore, type SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { SqlitePresetStore } from '../../src/storage/sqlite-preset-store.ts'

const checker = join(
  createRequire(import.meta.url).resolve('htmx.org/package.json'),
  '..',
  'dist',
  'scripts',
  'upgrade-check.js',
)

/** Runs htmx's own upgrade-check over HTML files; it exits 1 when it finds htmx 2 habits. */
function upgradeCheck(dir: string): { code: number | null; output: string } {
  const run = spawnSync('node', [checker, dir], { encoding: 'utf8' })
  return { code: run.status, output: `${run.stdout}${run.stderr}` }
}

let upstream: FakeUpstream
let juxta: RunningJuxta
let dir: string
let store: SqliteRunStore

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'juxta-upgrade-check-'))
  store = openSqliteRunStore(join(dir, 'juxta.db'))
  upstream = await startFakeUpstream()
  upstream.script('m', { kind: 'text', reasoning: 3, deltas: ['# Title\n\n', 'text ', 'more\n\n', 'end'], everyMs: 5 })
  juxta = await startJuxta({
    config: fakeConfig({
      p: { base_url: upstream.url, models: [{ id: 'm', price: { input: 1, output: 1 } }, 'unpriced'] },
    }),
    store,
    presets: new SqlitePresetStore(store.db),
  })
})

afterAll(async () => {
  await juxta?.close()
  await upstream?.close()
  await store?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('rendered HTML passes htmx 4 upgrade-check', () => {
  it('flags htmx 2 habits (the checker works here)', () => {
    const bad = mkdtempSync(join(tmpdir(), 'juxta-upgrade-bad-'))
    writeFileSync(join(bad, 'bad.html'), '<div hx-ext="sse" sse-connect="/x"><div sse-swap="m"></div></div>')
    expect(upgradeCheck(bad).code).toBe(1)
    rmSync(bad, { recursive: true, force: true })
  })

  it('finds nothing in every page and every streamed fragment', async () => {
    const form = new URLSearchParams([
      ['prompt', 'hi'],
      ['targets', 'p/m'],
      ['targets', 'p/unpriced'],
    ])
    const stream = await fetch(`${juxta.url}/runs`, { method: 'POST', body: form, headers: { origin: juxta.url } })
    expect(stream.headers.get('content-type')).toContain('text/event-stream')
    let fragments = 0
    for await (const event of readSSE(stream.body!)) {
      if (event.data) writeFileSync(join(dir, `fragment-${fragments++}.html`), event.data)
    }
    expect(fragments).toBeGreaterThan(3)
    const estimate = await fetch(`${juxta.url}/estimate`, {
      method: 'POST',
      body: form,
      headers: { origin: juxta.url },
    })
    writeFileSync(join(dir, 'estimate.html'), await estimate.text())
    // Every page, the stored run included, after the run above is in history.
    const runId = (await store.listRuns({ limit: 1 })).runs[0]!.run_id
    let n = 0
    for (const path of ['/', '/history', `/runs/${runId}`, '/spend', '/settings', '/login', '/nowhere']) {
      const res = await fetch(juxta.url + path)
      expect(res.status, path).toBe(path === '/nowhere' ? 404 : 200)
      writeFileSync(join(dir, `page-${n++}.html`), await res.text())
    }
    // The presets control after an action (a save, and a refused one), and the differences between two answers.
    for (const name of ['Saved', '']) {
      const fields = new URLSearchParams([...form, ['preset_name', name]])
      const res = await fetch(`${juxta.url}/presets/save`, {
        method: 'POST',
        body: fields,
        headers: { origin: juxta.url },
      })
      expect(res.status).toBe(name ? 200 : 422)
      writeFileSync(join(dir, `page-${n++}.html`), await res.text())
    }
    const diff = await fetch(`${juxta.url}/runs/${runId}/diff?a=0&b=1`)
    expect(diff.status).toBe(200)
    writeFileSync(join(dir, `page-${n++}.html`), await diff.text())
    const result = upgradeCheck(dir)
    expect(result.output).toContain(`Scanning ${n + fragments + 1} file(s)`)
    expect(result.code, result.output).toBe(0)
  })
})
