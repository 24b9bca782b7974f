import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TargetResult } from '../../src/domain/types.ts'
import type { ApiErrorBody } from '../../src/http/api-error.ts'
import { usdToPico, picoToUsd } from '../../src/pricing/money.ts'
import { ExportSchema } from '../../src/storage/export-format.ts'
import { openSqliteRunStore, type SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { collectSSE } from '../helpers/sse.ts'
import { postCompare, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { demoConfig } from '../storage/fixtures.ts'

const dir = mkdtempSync(join(tmpdir(), 'juxta-runs-api-'))
let store: SqliteRunStore
let juxta: RunningJuxta
const runIds: string[] = []

beforeAll(async () => {
  store = openSqliteRunStore(join(dir, 'juxta.db'))
  juxta = await startJuxta({ config: demoConfig, store })
})
afterAll(async () => {
  await juxta.close()
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

const get = (path: string) => fetch(`${juxta.url}${path}`)
/** A run as listed by GET /api/runs: the fields these tests read. */
interface ListedRun {
  run_id: string
  cheapest: { target: string }
  [key: string]: unknown
}

/**
 * The JSON bodies of the /api routes under test, as one type: each test reads the fields of the route it
 * called (a run, a page of runs, the spend report or the shared error body); the others are undefined.
 */
interface ApiBody {
  results: TargetResult[]
  runs: ListedRun[]
  next_cursor: string | null
  total: Record<string, unknown>
  providers: Array<{ provider: string }>
  models: Array<{ target: string }>
  days: unknown[]
  error: ApiErrorBody['error']
  [key: string]: unknown
}

const getJson = async (path: string) => {
  const res = await get(path)
  return { status: res.status, body: (await res.json()) as ApiBody, headers: res.headers }
}

async function compare(prompt: string, targets: string[]): Promise<{ run_id: string; results: TargetResult[] }> {
  const res = await postCompare(juxta.url, { prompt, targets })
  expect(res.status).toBe(200)
  runIds.push(res.body.run_id)
  return res.body
}

describe('runs made through the API', () => {
  it('come back from GET /api/runs/:id with exactly the figures the compare returned', async () => {
    const run = await compare('Explain write-ahead logging', ['demo/fast', 'demo/thinker', 'demo/unpriced'])
    const { status, body, headers } = await getJson(`/api/runs/${run.run_id}`)
    expect(status).toBe(200)
    expect(headers.get('cache-control')).toBe('no-store')
    expect(body.results).toEqual(run.results)
    expect(body).toMatchObject({
      run_id: run.run_id,
      status: 'done',
      prompt: 'Explain write-ahead logging',
      system: null,
      targets: ['demo/fast', 'demo/thinker', 'demo/unpriced'],
      parent: null,
      children: [],
      turn: 1,
    })
  })

  it('records a streamed run as its events showed it', async () => {
    const res = await fetch(`${juxta.url}/api/compare`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        prompt: 'Stream a haiku about SQLite',
        targets: ['demo/thinker', 'demo/fast'],
        stream: true,
      }),
    })
    const frames = await collectSSE(res)
    const done = JSON.parse(frames.find((f) => f.event === 'done')!.data)
    const shown = frames.filter((f) => f.event === 'result').map((f) => JSON.parse(f.data))
    runIds.push(done.run_id)
    const { body } = await getJson(`/api/runs/${done.run_id}`)
    expect(body.results).toEqual(done.results)
    for (const event of shown) expect(body.results[event.index]).toEqual(event.result)
  })

  it('lists runs newest first with totals, filters and pages', async () => {
    await compare('Compare Postgres and MySQL', ['demo/fast'])
    const list = await getJson('/api/runs')
    expect(list.status).toBe(200)
    expect(list.body.runs.map((r) => r.run_id)).toEqual([...runIds].reverse())
    const first = list.body.runs.find((r) => r.run_id === runIds[0])
    const stored = (await getJson(`/api/runs/${runIds[0]}`)).body.results as TargetResult[]
    const knownPico = stored
      .filter((r) => r.cost.total_usd !== null)
      .reduce((n, r) => n + usdToPico(r.cost.total_usd!), 0n)
    expect(first).toMatchObject({ cost_usd: picoToUsd(knownPico), cost_unknown: 1, status: 'done' })
    expect(first!.cheapest.target).toBe('demo/fast')

    expect((await getJson('/api/runs?q=sqlite')).body.runs.map((r) => r.run_id)).toEqual([runIds[1]])
    expect((await getJson('/api/runs?target=demo/unpriced')).body.runs.map((r) => r.run_id)).toEqual([runIds[0]])
    const today = new Date().toISOString().slice(0, 10)
    expect((await getJson(`/api/runs?from=${today}&to=${today}`)).body.runs).toHaveLength(3)
    expect((await getJson('/api/runs?to=2000-01-01')).body.runs).toHaveLength(0)

    const one = await getJson('/api/runs?limit=1')
    const two = await getJson(`/api/runs?limit=1&cursor=${one.body.next_cursor}`)
    expect(two.body.runs[0]!.run_id).toBe(runIds[1])
    const paged = await getJson('/api/runs?limit=2&page=2')
    expect(paged.body).toMatchObject({ page: 2, total: 3, pages: 2 })
    expect(paged.body.runs.map((r) => r.run_id)).toEqual([runIds[0]])
  })

  it('reports spend per provider and model with exact sums', async () => {
    const { status, body } = await getJson(`/api/spend?from=${new Date().toISOString().slice(0, 10)}`)
    expect(status).toBe(200)
    let pico = 0n
    let requests = 0
    for (const id of runIds) {
      for (const r of (await getJson(`/api/runs/${id}`)).body.results as TargetResult[]) {
        requests++
        if (r.cost.total_usd !== null) pico += usdToPico(r.cost.total_usd)
      }
    }
    expect(body.total).toMatchObject({ cost_usd: picoToUsd(pico), requests, unknown_cost_requests: 1 })
    expect(body.providers.map((p) => p.provider)).toEqual(['demo'])
    expect(body.models.map((m) => m.target).sort()).toEqual(['demo/fast', 'demo/thinker', 'demo/unpriced'])
    expect(body.days).toHaveLength(1)
  })
})

describe('validation', () => {
  const cases: Array<[string, string]> = [
    ['/api/runs?limit=0', 'limit'],
    ['/api/runs?limit=abc', 'limit'],
    ['/api/runs?limit=201', 'limit'],
    ['/api/runs?page=0', 'page'],
    ['/api/runs?cursor=not-a-cursor', 'cursor'],
    ['/api/runs?from=yesterday', 'from'],
    ['/api/runs?from=2025-02-02&to=2025-02-01', 'to'],
    ['/api/runs?target=nonsense', 'target[0]'],
    ['/api/runs?q=a&q=b', 'q'],
    ['/api/runs?color=red', '(root)'],
    ['/api/runs/export.json?to=soon', 'to'],
    ['/api/runs/export.csv?limit=5', '(root)'],
    ['/api/spend?from=2025-13-01', 'from'],
    ['/api/runs/bad!id', 'id'],
  ]
  it.each(cases)('%s → 422 naming %s', async (path, field) => {
    const { status, body } = await getJson(path)
    expect(status).toBe(422)
    expect(body.error.message).toEqual(expect.any(String))
    expect(body.error.issues.map((i) => i.path)).toContain(field)
  })

  it('rejects a cursor and a page together', async () => {
    const cursor = (await getJson('/api/runs?limit=1')).body.next_cursor
    const { status, body } = await getJson(`/api/runs?cursor=${cursor}&page=2`)
    expect(status).toBe(422)
    expect(body.error.issues[0]!.path).toBe('page')
  })

  it('answers 404 for unknown runs', async () => {
    expect((await getJson('/api/runs/0000unknown')).status).toBe(404)
    expect((await getJson('/api/runs/0000unknown/export.json')).status).toBe(404)
    expect((await fetch(`${juxta.url}/api/runs/0000unknown`, { method: 'DELETE' })).status).toBe(404)
  })

  it('answers 503 when the app runs without history', async () => {
    const bare = await startJuxta({ config: demoConfig })
    try {
      expect((await fetch(`${bare.url}/api/runs`)).status).toBe(503)
      expect((await fetch(`${bare.url}/api/spend`)).status).toBe(503)
    } finally {
      await bare.close()
    }
  })
})

describe('export, delete, import', () => {
  it('exports JSON and CSV as downloads, whole history or one run', async () => {
    const json = await get('/api/runs/export.json?q=postgres')
    expect(json.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(json.headers.get('content-disposition')).toMatch(/^attachment; filename="juxta-runs-\d{8}T\d{6}Z\.json"$/)
    const file = ExportSchema.parse(await json.json())
    expect(file.runs.map((r) => r.run_id)).toEqual([runIds[2]])

    const csv = await get('/api/runs/export.csv')
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    const bytes = Buffer.from(await csv.arrayBuffer())
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    const lines = bytes.subarray(3).toString('utf8').trimEnd().split('\r\n')
    expect(lines[0]!.startsWith('run_id,created_at,')).toBe(true)
    expect(lines).toHaveLength(1 + 3 + 2 + 1)

    const single = await get(`/api/runs/${runIds[0]}/export.csv`)
    expect(single.headers.get('content-disposition')).toBe(`attachment; filename="juxta-run-${runIds[0]}.csv"`)
    expect((await single.text()).trimEnd().split('\r\n')).toHaveLength(4)
    const singleJson = ExportSchema.parse(await (await get(`/api/runs/${runIds[0]}/export.json`)).json())
    expect(singleJson.runs).toHaveLength(1)
    expect(singleJson.runs[0]).toEqual(
      (({ parent: _p, children: _c, ...run }) => run)((await getJson(`/api/runs/${runIds[0]}`)).body),
    )
  })

  it('round-trips the whole history through export → delete → import', async () => {
    const exported = await (await get('/api/runs/export.json')).json()
    for (const id of runIds) {
      const res = await fetch(`${juxta.url}/api/runs/${id}`, { method: 'DELETE' })
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ deleted: [id] })
    }
    expect((await getJson(`/api/runs/${runIds[0]}`)).status).toBe(404)
    expect((await getJson('/api/runs')).body.runs).toEqual([])

    const post = (body: string) =>
      fetch(`${juxta.url}/api/runs/import`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    const imported = await post(JSON.stringify(exported))
    expect(imported.status).toBe(200)
    expect(await imported.json()).toEqual({ imported: 3, skipped: 0, skipped_runs: [] })
    const again = await (await get('/api/runs/export.json')).json()
    expect(again.runs).toEqual(exported.runs)
    expect(await (await post(JSON.stringify(exported))).json()).toEqual({
      imported: 0,
      skipped: 3,
      skipped_runs: exported.runs.map((r: { run_id: string }, index: number) => ({
        index,
        run_id: r.run_id,
        reason: 'already stored',
      })),
    })

    expect((await post('{not json')).status).toBe(400)
    const bad = await post(
      JSON.stringify({ ...exported, runs: [{ ...exported.runs[0], run_id: 'no spaces allowed' }] }),
    )
    expect(bad.status).toBe(422)
    expect(((await bad.json()) as ApiErrorBody).error.issues.map((i) => i.path)).toContain('runs[0].run_id')
  })

  it('imports exports larger than the 1 MB limit other API bodies keep', async () => {
    const exported = await (await get(`/api/runs/${runIds[0]}/export.json`)).json()
    const big = { ...exported.runs[0], run_id: 'bigimport', conversation_id: 'bigimport' }
    big.results = big.results.map((r: TargetResult) => ({ ...r, text: 'x'.repeat(600_000) }))
    const body = JSON.stringify({ ...exported, runs: [big] })
    expect(body.length).toBeGreaterThan(1024 * 1024)
    const res = await fetch(`${juxta.url}/api/runs/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ imported: 1, skipped: 0, skipped_runs: [] })
    expect((await getJson('/api/runs/bigimport')).body.results[0]!.text).toHaveLength(600_000)
    // Other bodies keep 1 MiB (the compare routes take 64 MiB for their images).
    const form = await fetch(`${juxta.url}/estimate`, {
      method: 'POST',
      headers: { origin: juxta.url },
      body: new URLSearchParams([['prompt', 'x'.repeat(1024 * 1024 + 10)]]),
    })
    expect(form.status).toBe(413)
  })
})
