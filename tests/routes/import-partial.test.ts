import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openSqliteRunStore, type SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { postCompare, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { demoConfig } from '../storage/fixtures.ts'

// An import with a few bad runs imports the good ones and says which were skipped and why.

const TOO_LONG = 'Too big: expected string to have <=300 characters'
const dirs: string[] = []
const stores: SqliteRunStore[] = []
const servers: RunningJuxta[] = []
/** An exported run as these tests edit it: the fields they touch; the rest is carried through untouched. */
interface LooseRun {
  run_id?: string
  results?: Array<{ model: string }>
  [key: string]: unknown
}
let exported: { format: string; version: number; exported_at: string; runs: LooseRun[] }

async function fresh(): Promise<{ juxta: RunningJuxta; store: SqliteRunStore }> {
  const dir = mkdtempSync(join(tmpdir(), 'juxta-import-partial-'))
  dirs.push(dir)
  const store = openSqliteRunStore(join(dir, 'juxta.db'))
  stores.push(store)
  const juxta = await startJuxta({ config: demoConfig, store })
  servers.push(juxta)
  return { juxta, store }
}

beforeAll(async () => {
  const { juxta } = await fresh()
  for (const prompt of ['first', 'second', 'third', 'fourth']) {
    expect((await postCompare(juxta.url, { prompt, targets: ['demo/fast'] })).status).toBe(200)
  }
  exported = await (await fetch(`${juxta.url}/api/runs/export.json`)).json()
  expect(exported.runs).toHaveLength(4)
})

afterAll(async () => {
  for (const s of servers) await s.close()
  for (const s of stores) await s.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** The export with run 1's model id blown up and run 3 replaced by something that is not a run at all. */
function damaged() {
  const runs = structuredClone(exported.runs)
  runs[1]!.results![0]!.model = 'x'.repeat(20_000)
  runs[3] = { hello: 'not a run' }
  return { ...exported, runs }
}

const importJson = (url: string, body: unknown) =>
  fetch(`${url}/api/runs/import`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })

describe('POST /api/runs/import with some bad runs', () => {
  it('imports the good runs and lists the skipped ones with index, id and reason', async () => {
    const { juxta, store } = await fresh()
    const res = await importJson(juxta.url, damaged())
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      imported: 2,
      skipped: 2,
      skipped_runs: [
        { index: 1, run_id: exported.runs[1]!.run_id, reason: `results[0].model: ${TOO_LONG}` },
        { index: 3, run_id: null, reason: expect.stringMatching(/^[a-z_]+: .* \(and \d+ more problems\)$/) },
      ],
    })
    const stored = (await store.listRuns({ limit: 10 })).runs.map((r) => r.run_id).sort()
    expect(stored).toEqual([exported.runs[0]!.run_id, exported.runs[2]!.run_id].sort())

    // Again with the repaired file: the new run comes in, the stored ones are reported as such.
    const again = await importJson(juxta.url, exported)
    expect(await again.json()).toEqual({
      imported: 2,
      skipped: 2,
      skipped_runs: [0, 2].map((index) => ({ index, run_id: exported.runs[index]!.run_id, reason: 'already stored' })),
    })
  })

  it('still rejects a file whose every run is invalid, naming the problems', async () => {
    const { juxta, store } = await fresh()
    const res = await importJson(juxta.url, { ...exported, runs: [{ hello: 1 }, { ...exported.runs[0], turn: -1 }] })
    expect(res.status).toBe(422)
    const body = await res.json()
    expect(body.error.message).toBe('not a Juxta runs export')
    expect(body.error.issues.map((i: { path: string }) => i.path)).toContain('runs[1].turn')
    expect((await store.listRuns({ limit: 10 })).runs).toEqual([])
  })
})

describe('the /history/import page with some bad runs', () => {
  it('imports the good runs and shows which were skipped and why', async () => {
    const { juxta, store } = await fresh()
    const form = new FormData()
    form.set('file', new File([JSON.stringify(damaged())], 'export.json', { type: 'application/json' }))
    const res = await fetch(`${juxta.url}/history/import`, {
      method: 'POST',
      body: form,
      headers: { origin: juxta.url },
    })
    expect(res.status).toBe(200)
    const page = await res.text()
    expect(page).toContain('Imported 2 runs, skipped 2 (0 already stored; 2 could not be imported, listed above).')
    expect(page).toContain(`run 2 (${exported.runs[1]!.run_id}): results[0].model: ${TOO_LONG.replace('<', '&lt;')}`)
    expect(page).toMatch(/run 4: [^<]+ more problems\)/)
    expect((await store.listRuns({ limit: 10 })).runs).toHaveLength(2)
  })
})
