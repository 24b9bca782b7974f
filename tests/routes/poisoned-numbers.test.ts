import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TargetResult } from '../../src/domain/types.ts'
import { openSqliteRunStore, type SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, postCompare, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { collectSSE } from '../helpers/sse.ts'

// One upstream's bad numbers never break a run: each poisoned upstream answers beside a healthy one, through
// POST /api/compare (whole and streamed) and the page's stream route. The run finishes and is stored, the
// healthy column is exact, the poisoned one ends with a note, /spend answers, and the export re-imports.

const PRICE = { input: 1, output: 2 }
const LONG_MODEL = 'x'.repeat(20_000)

interface Poison {
  model: string
  usageBody?: Record<string, unknown>
  reportedModel?: string
  check(r: TargetResult): void
}

const estimatedWithNote = (note: string) => (r: TargetResult) => {
  expect(r.status).toBe('ok')
  expect(r.usage.source).toBe('estimated')
  expect(r.usage.output_tokens).toBeGreaterThan(0)
  expect(r.cost).toMatchObject({ source: 'computed', reason: 'estimated-usage' })
  expect(r.cost.notes).toContain(note)
}

const reportedCostRejected = (note: string) => (r: TargetResult) => {
  expect(r.status).toBe('ok')
  expect(r.usage).toMatchObject({ input_tokens: 10, output_tokens: 5, source: 'reported' })
  // Our own computation stands; the upstream's figure is said to be rejected, not used.
  expect(r.cost).toMatchObject({ source: 'computed', total_usd: 0.00002 })
  expect(r.cost.reported_usd).toBeUndefined()
  expect(r.cost.notes).toEqual([note])
}

const POISONS: Poison[] = [
  {
    model: 'fractional',
    usageBody: { prompt_tokens: 1.5, completion_tokens: 2.25 },
    check: estimatedWithNote('prompt_tokens 1.5 is not a whole number'),
  },
  {
    model: 'negative',
    usageBody: { prompt_tokens: -5, completion_tokens: 3 },
    check: estimatedWithNote('prompt_tokens -5 is negative'),
  },
  {
    model: 'beyond-any-context',
    usageBody: { prompt_tokens: 10, completion_tokens: 2 ** 60 },
    check: estimatedWithNote('completion_tokens 1152921504606847000 is too large'),
  },
  {
    model: 'strings',
    usageBody: { prompt_tokens: '12', completion_tokens: null },
    check: estimatedWithNote('prompt_tokens is not a number ("12")'),
  },
  {
    model: 'cost-1e300',
    usageBody: { prompt_tokens: 10, completion_tokens: 5, cost: 1e300 },
    check: reportedCostRejected('reported cost rejected: 1e+300 is out of range (over $10,000 per request)'),
  },
  {
    model: 'cost-9e6',
    usageBody: { prompt_tokens: 10, completion_tokens: 5, cost: 9e6 },
    check: reportedCostRejected('reported cost rejected: 9000000 is out of range (over $10,000 per request)'),
  },
  {
    // Whole, safe counts, but a cost no request can have: unknown, with the reason, never a giant sum.
    model: 'huge-counts',
    usageBody: { prompt_tokens: 1e12, completion_tokens: 1e12 },
    check: (r) => {
      expect(r.usage).toMatchObject({ input_tokens: 1e12, source: 'reported' })
      expect(r.cost).toMatchObject({ source: 'unknown', reason: 'out-of-range', total_usd: null })
      expect(r.cost.notes?.[0]).toMatch(/^computed cost rejected: .* is out of range/)
      // A trillion tokens in a few milliseconds is no speed worth showing.
      expect(r.timing.output_tokens_per_s).toBeNull()
    },
  },
  {
    model: 'long-model',
    reportedModel: LONG_MODEL,
    check: (r) => {
      expect(r.status).toBe('ok')
      expect(r.model).toBe(`${'x'.repeat(200)}…`)
      expect(r.cost).toMatchObject({ source: 'computed', total_usd: 0.000021 })
    },
  },
]

const HEALTHY = 'h/ok'
/** 11 input tokens at $1/M and 5 output tokens at $2/M. */
const HEALTHY_USD = 0.000021

const dir = mkdtempSync(join(tmpdir(), 'juxta-poisoned-'))
let fake: FakeUpstream
let store: SqliteRunStore
let juxta: RunningJuxta
const runIds: string[] = []

beforeAll(async () => {
  fake = await startFakeUpstream()
  fake.script('ok', { kind: 'text', deltas: 5 })
  for (const p of POISONS) {
    const { usageBody, reportedModel: model } = p
    fake.script(p.model, { kind: 'text', deltas: 5, usage: 'finish-chunk', usageBody, model })
  }
  store = openSqliteRunStore(join(dir, 'juxta.db'))
  juxta = await startJuxta({
    store,
    config: fakeConfig({
      h: { base_url: fake.url, models: [{ id: 'ok', price: PRICE }] },
      p: { base_url: fake.url, models: POISONS.map((p) => ({ id: p.model, price: PRICE })) },
    }),
  })
})

afterAll(async () => {
  await juxta?.close()
  await fake?.close()
  await store?.close()
  rmSync(dir, { recursive: true, force: true })
})

function checkHealthy(r: TargetResult): void {
  expect(r).toMatchObject({ target: HEALTHY, status: 'ok', text: 'w1 w2 w3 w4 w5', error: null })
  expect(r.usage).toEqual({
    input_tokens: 11,
    cached_input_tokens: 0,
    output_tokens: 5,
    reasoning_tokens: 0,
    source: 'reported',
  })
  expect(r.cost).toMatchObject({ source: 'computed', total_usd: HEALTHY_USD, reason: null })
  expect(r.cost.notes).toBeUndefined()
}

/** The stored run is finished (not `running`) and holds both columns as they ended. */
async function checkStored(runId: string, poison: Poison): Promise<TargetResult[]> {
  const res = await fetch(`${juxta.url}/api/runs/${runId}`)
  expect(res.status).toBe(200)
  const run = await res.json()
  expect(run.status).toBe('done')
  expect(run.results.map((r: TargetResult) => r.status)).toEqual(['ok', 'ok'])
  checkHealthy(run.results[0])
  poison.check(run.results[1])
  return run.results
}

const htmlText = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')

const targetsOf = (p: Poison) => [HEALTHY, `p/${p.model}`]

describe.each(POISONS)('an upstream sending poisoned numbers ($model) beside a healthy one', (poison) => {
  it('POST /api/compare answers 200 with both columns, and the run is stored finished', async () => {
    const res = await postCompare(juxta.url, { prompt: 'Hi', targets: targetsOf(poison) })
    expect(res.status).toBe(200)
    checkHealthy(res.body.results[0]!)
    poison.check(res.body.results[1]!)
    expect(res.body.summary.targets).toHaveLength(2)
    runIds.push(res.body.run_id)
    expect(await checkStored(res.body.run_id, poison)).toEqual(res.body.results)
  })

  it('POST /api/compare with stream:true sends both results and done', async () => {
    const res = await fetch(`${juxta.url}/api/compare`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'Hi', targets: targetsOf(poison), stream: true }),
    })
    expect(res.status).toBe(200)
    const frames = await collectSSE(res)
    const results = frames.filter((f) => f.event === 'result').map((f) => JSON.parse(f.data))
    expect(results.map((r) => r.index).sort()).toEqual([0, 1])
    const done = JSON.parse(frames.find((f) => f.event === 'done')!.data)
    checkHealthy(done.results[0])
    poison.check(done.results[1])
    runIds.push(done.run_id)
    await checkStored(done.run_id, poison)
  })

  it("the page's stream route renders both columns, the summary and done", async () => {
    const form = new URLSearchParams([['prompt', 'Hi'], ...targetsOf(poison).map((t) => ['targets', t])])
    const res = await fetch(`${juxta.url}/runs`, { method: 'POST', body: form, headers: { origin: juxta.url } })
    expect(res.status).toBe(200)
    const frames = await collectSSE(res)
    const done = frames.find((f) => f.event === 'done')
    expect(done).toBeDefined()
    const page = frames.map((f) => f.data).join('\n')
    expect(page).toContain('w1 w2 w3 w4 w5')
    expect(page).toContain('id="summary"')
    const notes = (await checkStored(done!.data, poison))[1]!.cost.notes ?? []
    // The note is on the page beside the cost (escaped like any upstream text).
    for (const note of notes) expect(page).toContain(htmlText(note))
    runIds.push(done!.data)
  })
})

describe('after the poisoned runs', () => {
  it('/spend and GET /api/spend answer, counting only plausible amounts', async () => {
    expect(runIds).toHaveLength(POISONS.length * 3)
    const page = await fetch(`${juxta.url}/spend`)
    expect(page.status).toBe(200)
    const res = await fetch(`${juxta.url}/api/spend`)
    expect(res.status).toBe(200)
    const spend = await res.json()
    expect(spend.total.requests).toBe(runIds.length * 2)
    const healthy = spend.models.find((m: { target: string }) => m.target === HEALTHY)
    expect(healthy.cost_usd).toBeCloseTo(HEALTHY_USD * runIds.length, 12)
    expect(spend.total.cost_usd).toBeLessThan(1)
  })

  it('the CSV export carries the notes', async () => {
    const csv = await (await fetch(`${juxta.url}/api/runs/export.csv`)).text()
    expect(csv.split('\n')[0]).toContain(',cost_notes,')
    expect(csv).toContain('reported cost rejected: 1e+300 is out of range (over $10,000 per request)')
    expect(csv).toContain('prompt_tokens 1.5 is not a whole number')
  })

  it('the whole history exports and imports into a fresh data dir, every run back', async () => {
    const exported = await (await fetch(`${juxta.url}/api/runs/export.json`)).json()
    expect(exported.runs.map((r: { run_id: string }) => r.run_id).sort()).toEqual([...runIds].sort())
    const freshDir = mkdtempSync(join(tmpdir(), 'juxta-poisoned-import-'))
    const fresh = openSqliteRunStore(join(freshDir, 'juxta.db'))
    const other = await startJuxta({ store: fresh, config: fakeConfig({ h: { base_url: fake.url, models: ['ok'] } }) })
    try {
      const res = await fetch(`${other.url}/api/runs/import`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(exported),
      })
      expect(res.status).toBe(200)
      const outcome = await res.json()
      expect(outcome).toEqual({ imported: runIds.length, skipped: 0, skipped_runs: [] })
      const again = await (await fetch(`${other.url}/api/runs/export.json`)).json()
      expect(again.runs).toEqual(exported.runs)
    } finally {
      await other.close()
      await fresh.close()
      rmSync(freshDir, { recursive: true, force: true })
    }
  })
})
