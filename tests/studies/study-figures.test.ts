import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FakeUpstream, type Scenario, startFakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig } from '../helpers/juxta.ts'
import { pairedRatio } from '../../src/stats/paired-ratio.ts'
import type { CellView, StudyExport, StudyListItem, StudyView } from '../../src/studies/types.ts'
import type { RunDetail } from '../../src/storage/types.ts'
import { api, type StudyRig, startStudyRig, waitForStudy } from '../helpers/study-rig.ts'

// 5 prompts × 4 targets × 2 repeats on loopback upstreams with known usage. Every target has its own provider
// with concurrency 1, so each model sees its cells in the study's order (repeat 1: prompts 0–4, then repeat 2)
// and its scripted sequence gives each cell a known output token count. Input is priced at 0, so a cell costs
// output tokens × the output price.
//   a: $1/M, tokens 100·(i+1) (repeat 1) and 100·(i+1)+20 (repeat 2)
//   b: $10/M, the same tokens as a: 10× a on every prompt
//   c: $2/M, a's tokens × f_i, f = [3, 5, 4, 8, 6]: ratio to a on prompt i is 2·f_i = [6, 10, 8, 16, 12]
//   d: HTTP 500 on every request: 10 errors, no known cost
const F = [3, 5, 4, 8, 6]
const tokensA = (i: number, repeat: number) => 100 * (i + 1) + (repeat === 2 ? 20 : 0)

function steps(tokens: (i: number, repeat: number) => number): Scenario {
  const list: Scenario[] = []
  for (const repeat of [1, 2]) {
    for (let i = 0; i < 5; i++) {
      const n = tokens(i, repeat)
      list.push({
        kind: 'text',
        deltas: 3,
        everyMs: 1,
        usageBody: { prompt_tokens: 10, completion_tokens: n, total_tokens: 10 + n },
      })
    }
  }
  return { kind: 'sequence', steps: list }
}

let upstream: FakeUpstream
let rig: StudyRig
let study: StudyView
let studyId: string

beforeAll(async () => {
  upstream = await startFakeUpstream()
  upstream.script('model-a', steps(tokensA))
  upstream.script('model-b', steps(tokensA))
  upstream.script(
    'model-c',
    steps((i, r) => tokensA(i, r) * F[i]!),
  )
  const provider = (model: string, output: number) => ({
    base_url: upstream.url,
    models: [{ id: model, price: { input: 0, output } }],
  })
  rig = await startStudyRig(
    fakeConfig({
      pa: provider('model-a', 1),
      pb: provider('model-b', 10),
      pc: provider('model-c', 2),
      pd: provider('fault:500', 1),
    }),
  )
  const created = await api<{ study_id: string }>(rig.juxta.url, '/api/studies', {
    body: {
      name: 'five prompts',
      prompts: [
        { prompt: 'p0', expected: 'contains:w2' },
        { prompt: 'p1', expected: 'equals:something else' },
        { prompt: 'p2', system: 'be brief' },
        'p3',
        'p4',
      ],
      targets: ['pa/model-a', 'pb/model-b', 'pc/model-c', 'pd/fault:500'],
      repeats: 2,
      concurrency: 1,
    },
  })
  expect(created.status).toBe(202)
  studyId = created.body.study_id
  study = await waitForStudy(rig.juxta.url, studyId)
}, 60_000)

afterAll(async () => {
  await rig?.close()
  await upstream?.close()
})

const target = (name: string) => study.summary.targets.find((t) => t.target === name)!

describe('a 5-prompt × 4-target × 2-repeat study', () => {
  it('ends done with every cell finished', () => {
    expect(study.status).toBe('done')
    expect(study.stop_reason).toBeNull()
    expect(study.progress).toMatchObject({ done: 40, total: 40, ok: 30, errors: 10, pending: 0, cancelled: 0 })
    expect(upstream.requests).toHaveLength(40)
  })

  it('gives exact cost totals, means, medians and p90s per target (nearest rank)', () => {
    // a's 10 costs in µ$: 100 120 200 220 300 320 400 420 500 520 → median (5th) 300, p90 (9th) 500.
    expect(target('pa/model-a')).toMatchObject({ cells: 10, ok: 10, errors: 0, cost_unknown: 0 })
    expect(target('pa/model-a').cost_usd).toMatchObject({ total: 0.0031, median: 0.0003, p90: 0.0005 })
    expect(target('pa/model-a').cost_usd!.mean).toBeCloseTo(0.00031, 15)
    expect(target('pb/model-b').cost_usd).toMatchObject({ total: 0.031, median: 0.003, p90: 0.005 })
    // c's costs in µ$: 600 2000 2400 6400 6000 | 720 2200 2560 6720 6240 → sorted, 5th 2400, 9th 6400.
    expect(target('pc/model-c').cost_usd).toMatchObject({ total: 0.03584, median: 0.0024, p90: 0.0064 })
    expect(target('pa/model-a').output_tokens.median).toBe(300)
    expect(target('pc/model-c').output_tokens.median).toBe(1200)
  })

  it('counts a failing target’s errors by kind, with no known cost (null, never 0)', () => {
    const d = target('pd/fault:500')
    expect(d).toMatchObject({ cells: 10, ok: 0, errors: 10, errors_by_kind: { upstream: 10 }, cost_unknown: 10 })
    expect(d.cost_usd).toBeNull()
    expect(d.ttft_ms).toEqual({ median: null, p90: null })
    expect(study.spend_so_far_usd).toBeCloseTo(0.0031 + 0.031 + 0.03584, 12)
    expect(study.spend_unknown_cells).toBe(10)
  })

  it('times ok cells: TTFT and total latency medians, tokens per second after the first token', () => {
    for (const name of ['pa/model-a', 'pb/model-b', 'pc/model-c']) {
      const t = target(name)
      expect(t.ttft_ms.median).toBeGreaterThanOrEqual(0)
      expect(t.total_ms.p90).toBeGreaterThanOrEqual(t.total_ms.median!)
      expect(t.ttft_ms.median).toBeLessThanOrEqual(t.total_ms.median!)
      expect(t.output_tokens_per_s.median).toBeGreaterThan(0)
    }
  })

  it('gives a pass rate over the cells whose prompt has an expected check (an error fails it)', async () => {
    // Answers are "w1 w2 w3": p0's check passes, p1's fails; 2 repeats each.
    for (const name of ['pa/model-a', 'pb/model-b', 'pc/model-c']) {
      expect(target(name)).toMatchObject({ pass_rate: 0.5, checked: 4, passed: 2 })
    }
    expect(target('pd/fault:500')).toMatchObject({ pass_rate: 0, checked: 4, passed: 0 })
    const cells = await api<{ cells: CellView[] }>(rig.juxta.url, `/api/studies/${studyId}/cells?prompt_index=0`)
    expect(cells.body.cells).toHaveLength(8)
    expect(cells.body.cells.map((c) => c.expected)).toEqual([
      'pass',
      'pass',
      'pass',
      'pass',
      'pass',
      'pass',
      'fail',
      'fail',
    ])
    const other = await api<{ cells: CellView[] }>(rig.juxta.url, `/api/studies/${studyId}/cells?prompt_index=3`)
    expect(other.body.cells.every((c) => c.expected === null)).toBe(true)
  })

  it('pairs cost ratios by prompt against the cheapest target, with a seeded 95% interval', async () => {
    const ratios = study.summary.cost_ratios
    expect(ratios.map((r) => r.target)).toEqual(['pb/model-b', 'pc/model-c'])
    const b = ratios[0]!
    expect(b.vs).toBe('pa/model-a')
    expect(b.median).toBeCloseTo(10, 9)
    expect(b.prompts).toBe(5)
    expect(b.ci95![0]).toBeCloseTo(10, 9)
    expect(b.ci95![1]).toBeCloseTo(10, 9)
    const c = ratios[1]!
    // Per-prompt ratios 6, 10, 8, 16, 12: the nearest-rank median is 10.
    expect(c.median).toBeCloseTo(10, 9)
    expect(c.total_ratio).toBeCloseTo((2 * (300 + 1000 + 1200 + 3200 + 3000)) / 1500, 9)
    expect(c.excluded).toEqual({ unknown: 0, zero_b: 0 })
    expect(c.ci95![0]).toBeGreaterThanOrEqual(6 - 1e-9)
    expect(c.ci95![1]).toBeLessThanOrEqual(16 + 1e-9)
    expect(c.ci95![0]).toBeLessThanOrEqual(10 + 1e-9)
    expect(c.ci95![1]).toBeGreaterThanOrEqual(10 - 1e-9)
    // The interval is the bootstrap of these very per-prompt costs, seeded from the study id.
    const costs = (tokens: (i: number, r: number) => number, price: number) =>
      new Map(F.map((_, i) => [String(i).padStart(6, '0'), [1, 2].map((r) => (tokens(i, r) * price) / 1e6)]))
    const expected = pairedRatio({
      a: costs((i, r) => tokensA(i, r) * F[i]!, 2),
      b: costs(tokensA, 1),
      seed: `${studyId}:pc/model-c`,
    })
    expect(c.ci95).toEqual(expected.ci95)
    // The same study always shows the same interval.
    const again = await api<StudyView>(rig.juxta.url, `/api/studies/${studyId}`)
    expect(again.body.summary.cost_ratios).toEqual(ratios)
  })

  it('records every cell as a real run in history, with its study', async () => {
    const cells = await api<{ cells: CellView[] }>(rig.juxta.url, `/api/studies/${studyId}/cells`)
    expect(cells.body.cells).toHaveLength(40)
    const runIds = new Set(cells.body.cells.map((c) => c.run_id))
    expect(runIds.size).toBe(40)
    const one = cells.body.cells.find((c) => c.target === 'pc/model-c' && c.prompt_index === 3 && c.repeat === 2)!
    expect(one).toMatchObject({ status: 'ok', output_tokens: 3360, cost_usd: 0.00672, input_tokens: 10 })
    const run = await api<RunDetail>(rig.juxta.url, `/api/runs/${one.run_id}`)
    expect(run.status).toBe(200)
    expect(run.body.study_id).toBe(studyId)
    expect(run.body.prompt).toBe('p3')
    expect(run.body.results[0]!.cost.total_usd).toBe(0.00672)
    const withSystem = cells.body.cells.find((c) => c.prompt_index === 2 && c.target === 'pa/model-a')!
    const systemRun = await api<RunDetail>(rig.juxta.url, `/api/runs/${withSystem.run_id}`)
    expect(systemRun.body.system).toBe('be brief')
    const failed = cells.body.cells.find((c) => c.target === 'pd/fault:500')!
    expect(failed).toMatchObject({ status: 'error', cost_usd: null, error: { kind: 'upstream' } })
    expect(failed.cost_reason).not.toBeNull()
    // History's list carries the study too (the badge).
    const list = await api<{ runs: Array<{ run_id: string; study_id?: string }> }>(rig.juxta.url, '/api/runs?limit=5')
    expect(list.body.runs.every((r) => r.study_id === studyId)).toBe(true)
  })

  it('stores an ended study’s summary as it ends, for the list', async () => {
    const stored = async () => (await rig.studyStore.storedSummaries([studyId])).get(studyId)
    for (let i = 0; i < 100 && !(await stored()); i++) await new Promise((r) => setTimeout(r, 20))
    expect((await stored())?.summary).toEqual(study.summary)
  })

  it('lists studies newest first', async () => {
    const list = await api<{ studies: StudyListItem[] }>(rig.juxta.url, '/api/studies')
    expect(list.body.studies[0]).toMatchObject({
      study_id: studyId,
      name: 'five prompts',
      status: 'done',
      progress: { done: 40, total: 40 },
      prompt_count: 5,
      repeats: 2,
    })
    // The list gives each study the same summary as the study itself, the second time from the stored copy.
    expect(list.body.studies[0]!.summary).toEqual(study.summary)
    const again = await api<{ studies: StudyListItem[] }>(rig.juxta.url, '/api/studies')
    expect(again.body.studies[0]!.summary).toEqual(study.summary)
  })

  it('exports one CSV row per cell with every figure, and the whole study as JSON', async () => {
    const csv = await api(rig.juxta.url, `/api/studies/${studyId}/export.csv`)
    expect(csv.status).toBe(200)
    expect(csv.headers.get('content-type')).toContain('text/csv')
    expect(csv.headers.get('content-disposition')).toContain(`juxta-study-${studyId}.csv`)
    const lines = csv.text
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n')
    expect(lines).toHaveLength(41)
    const header = lines[0]!.split(',')
    for (const col of ['prompt_index', 'target', 'repeat', 'status', 'run_id', 'cost_usd', 'ttft_ms', 'total_ms']) {
      expect(header).toContain(col)
    }
    const rows = lines.slice(1).map((l) => l.split(','))
    const at = (name: string) => header.indexOf(name)
    const row = rows.find(
      (r) => r[at('target')] === 'pc/model-c' && r[at('prompt_index')] === '3' && r[at('repeat')] === '2',
    )!
    expect(Number(row[at('cost_usd')])).toBe(0.00672)
    expect(row[at('output_tokens')]).toBe('3360')
    // Every figure of the cell: its label, the cost's parts and where its price came from, the run's timing,
    // attempts and how the answer ended.
    const label = study.summary.targets.find((t) => t.target === 'pc/model-c')!.label
    expect(row[at('label')]).toBe(label)
    expect([Number(row[at('input_cost_usd')]), Number(row[at('output_cost_usd')])]).toEqual([0, 0.00672])
    expect(row[at('price_source')]).toMatch(/pc\/model-c/)
    expect(Number(row[at('first_answer_ms')])).toBeGreaterThan(0)
    expect([row[at('attempts')], row[at('finish_reason')]]).toEqual(['1', 'stop'])
    const failed = rows.filter((r) => r[at('target')] === 'pd/fault:500')
    expect(failed).toHaveLength(10)
    expect(failed.every((r) => r[at('cost_usd')] === '' && r[at('error_kind')] === 'upstream')).toBe(true)
    expect(failed.every((r) => r[at('input_cost_usd')] === '' && r[at('price_source')] === '')).toBe(true)

    const json = await api<StudyExport>(rig.juxta.url, `/api/studies/${studyId}/export.json`)
    expect(json.status).toBe(200)
    expect(json.body.input.prompts[2]).toEqual({ prompt: 'p2', system: 'be brief' })
    expect(json.body.input.prompts[0]).toEqual({ prompt: 'p0', expected: 'contains:w2' })
    expect(json.body.cells).toHaveLength(40)
    expect(json.body.study.summary).toEqual(study.summary)
  })

  it('answers 404 for an unknown study and 409 for resuming or cancelling a done one', async () => {
    expect((await api(rig.juxta.url, '/api/studies/nope')).status).toBe(404)
    expect((await api(rig.juxta.url, '/api/studies/nope/export.csv')).status).toBe(404)
    expect((await api(rig.juxta.url, '/api/studies/nope/cancel', { method: 'POST' })).status).toBe(404)
    const resume = await api<{ error: { message: string } }>(rig.juxta.url, `/api/studies/${studyId}/resume`, {
      method: 'POST',
    })
    expect(resume.status).toBe(409)
    expect(resume.body.error.message).toContain('done')
    expect((await api(rig.juxta.url, `/api/studies/${studyId}/cancel`, { method: 'POST' })).status).toBe(409)
  })
})
