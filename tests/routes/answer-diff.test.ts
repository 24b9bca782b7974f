import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { openSqliteRunStore, type SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { result } from '../storage/fixtures.ts'

let upstream: FakeUpstream
let withHistory: RunningJuxta
let liveOnly: RunningJuxta
let store: SqliteRunStore
let dir: string

/** A finished stored run whose two columns answered `texts`. */
async function storedRun(id: string, texts: string[], running = false): Promise<void> {
  const targets = texts.map((_, i) => `f/${'ab'[i]}`)
  await store.startRun({
    run_id: id,
    created_at: new Date('2026-03-01T10:00:00Z'),
    prompt: 'Which database?',
    system: null,
    params: {},
    parent_id: null,
    targets: targets.map((target) => ({ target, label: target.slice(2) })),
  })
  if (running) return
  for (const [i, target] of targets.entries()) {
    await store.saveResult(id, i, { ...result({ target, pico: 1000n, ms: 100 }), text: texts[i]! })
  }
  await store.finishRun(id, new Date('2026-03-01T10:00:05Z'))
}

const diff = async (juxta: RunningJuxta, id: string, a: number, b: number) => {
  const res = await fetch(`${juxta.url}/runs/${id}/diff?a=${a}&b=${b}`)
  return { status: res.status, html: await res.text() }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'juxta-diff-'))
  store = openSqliteRunStore(join(dir, 'juxta.db'))
  upstream = await startFakeUpstream()
  upstream.script('a', { kind: 'text', deltas: ['SQLite is ', 'small and ', 'fast.'] })
  upstream.script('b', { kind: 'text', deltas: ['SQLite is ', 'tiny and ', 'fast.'] })
  const config = fakeConfig({ f: { base_url: upstream.url, models: ['a', 'b'] } })
  withHistory = await startJuxta({ config, store })
  // No history at all: a run can only come from the live registry.
  liveOnly = await startJuxta({ config })
})

afterAll(async () => {
  await withHistory?.close()
  await liveOnly?.close()
  await upstream?.close()
  await store?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('differences between answers', () => {
  it('diffs two columns of a stored run: ins/del with hidden labels, similarity with its definition', async () => {
    await storedRun('stored-1', ['Use SQLite for small apps.', 'Use Postgres for small apps.'])
    const page = await (await fetch(`${withHistory.url}/runs/stored-1`)).text()
    expect(page).toContain('hx-get="/runs/stored-1/diff"')
    expect(page).toContain('<option value="1" selected="">2. b (f/b)</option>')
    const res = await diff(withHistory, 'stored-1', 0, 1)
    expect(res.status).toBe(200)
    expect(res.html).toContain('<del><span class="visually-hidden">deleted: </span>SQLite</del>')
    expect(res.html).toContain('<ins><span class="visually-hidden">inserted: </span>Postgres</ins>')
    // 4 of 5 words in common on each side: 2·4 / (5 + 5) = 80%.
    expect(res.html).toContain('80% similar')
    expect(res.html).toContain('words in common: 2 × 4 / (5 + 5 words)')
  })

  it('diffs a live run once it is done, from the run registry (no history behind it)', async () => {
    const form = new URLSearchParams([
      ['prompt', 'Which database?'],
      ['targets', 'f/a'],
      ['targets', 'f/b'],
    ])
    const res = await fetch(`${liveOnly.url}/runs`, { method: 'POST', body: form, headers: { origin: liveOnly.url } })
    const stream = await res.text()
    const id = /data-run-id="([^"]+)"/.exec(stream)![1]!
    // The form arrives with the run's last partials.
    expect(stream).toContain(`hx-get="/runs/${id}/diff"`)
    const out = await diff(liveOnly, id, 0, 1)
    expect(out.status).toBe(200)
    expect(out.html).toContain('<del><span class="visually-hidden">deleted: </span>small</del>')
    expect(out.html).toContain('<ins><span class="visually-hidden">inserted: </span>tiny</ins>')
    // "SQLite is small and fast." / "SQLite is tiny and fast.": 2·4 / (5 + 5).
    expect(out.html).toContain('80% similar')
  })

  it('shows hostile answer text escaped', async () => {
    await storedRun('hostile', ['<script>alert(1)</script> hi', '<img src=x onerror=alert(2)> hi'])
    const res = await diff(withHistory, 'hostile', 0, 1)
    expect(res.status).toBe(200)
    expect(res.html).not.toMatch(/<\/?script|<img/)
    expect(res.html).toContain('&lt;<del><span class="visually-hidden">deleted: </span>script&gt;</del>')
    expect(res.html).toContain('<ins><span class="visually-hidden">inserted: </span>img src=x onerror=</ins>')
    expect(res.html).toContain('&lt;/script</del>&gt; hi')
  })

  it('says a pair is too long to diff instead of diffing it', async () => {
    const long = Array.from({ length: 20_001 }, (_, i) => `w${i}`).join(' ')
    await storedRun('long', [long, 'short answer'])
    const res = await diff(withHistory, 'long', 0, 1)
    expect(res.status).toBe(200)
    expect(res.html).toContain('These answers are too long to diff here (20,001 and 2 words; at most 20,000 each).')
    expect(res.html).not.toContain('<ins>')
  })

  it('refuses a run still going, an unknown run and the same column twice, with a message', async () => {
    await storedRun('going', ['a', 'b'], true)
    expect(await diff(withHistory, 'going', 0, 1)).toMatchObject({ status: 409 })
    const unknown = await diff(withHistory, 'no-such-run', 0, 1)
    expect(unknown.status).toBe(404)
    expect(unknown.html).toContain('This run is not available any more.')
    await storedRun('twice', ['a', 'b'])
    expect((await diff(withHistory, 'twice', 1, 1)).html).toContain('Pick two different answers.')
    expect((await diff(withHistory, 'twice', 0, 7)).status).toBe(422)
  })
})
