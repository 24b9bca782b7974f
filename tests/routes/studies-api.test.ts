import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FakeUpstream, rateLimited, startFakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, postDeclaredOversize } from '../helpers/juxta.ts'
import { api, type StudyRig, startStudyRig, waitForStudy } from '../helpers/study-rig.ts'
import type { CellView, StudyListItem, StudyView } from '../../src/studies/types.ts'
import type { ApiErrorBody } from '../../src/http/api-error.ts'

let upstream: FakeUpstream
let rig: StudyRig
let url: string

beforeAll(async () => {
  upstream = await startFakeUpstream()
  // Rate limited for its first 3 requests (Retry-After: 1 s), then answers.
  upstream.script('limited', {
    kind: 'sequence',
    steps: [rateLimited(1), rateLimited(1), rateLimited(1), { kind: 'text', deltas: 3 }],
  })
  upstream.script('slow', { kind: 'text', deltas: 200, everyMs: 50 })
  upstream.script('paced', { kind: 'text', deltas: 4, everyMs: 40 })
  rig = await startStudyRig(
    fakeConfig(
      {
        fast: { base_url: upstream.url, models: [{ id: 'text:3', price: { input: 1, output: 2 } }] },
        limit: {
          base_url: upstream.url,
          models: [
            { id: 'limited', price: { input: 1, output: 2 } },
            { id: 'limited2', price: { input: 1, output: 2 } },
          ],
        },
        slowp: { base_url: upstream.url, models: [{ id: 'slow', price: { input: 1, output: 2 } }] },
        pricey: { base_url: upstream.url, models: [{ id: 'text:4', price: { input: 100_000, output: 100_000 } }] },
        pacedp: {
          base_url: upstream.url,
          models: [
            { id: 'paced', price: { input: 1, output: 2 } },
            { id: 'paced2', price: { input: 1, output: 2 } },
          ],
        },
      },
      // The engine's own retry (before the first token, honouring Retry-After) is the study's retry.
      { max_retries: 2 },
    ),
  )
  url = rig.juxta.url
}, 30_000)

afterAll(async () => {
  await rig?.close()
  await upstream?.close()
})

async function refused(body: unknown): Promise<ApiErrorBody['error']> {
  const res = await api<ApiErrorBody>(url, '/api/studies', { body })
  expect(res.status).toBe(422)
  return res.body.error
}

describe('POST /api/studies refuses bad input with 422, naming the place and the problem', () => {
  it('no prompts, an empty prompt, an unknown target', async () => {
    const none = await refused({ prompts: [], targets: ['fast/text:3'] })
    expect(none.issues).toContainEqual({ path: 'prompts', message: 'no prompts: give at least one' })
    const empty = await refused({ prompts: ['ok', { prompt: '  ' }], targets: ['fast/text:3'] })
    expect(empty.issues).toContainEqual({ path: 'prompts[1].prompt', message: 'must not be empty' })
    const unknown = await refused({ prompts: ['a'], targets: ['fast/text:3', 'nowhere/model'] })
    expect(unknown.issues).toContainEqual({ path: 'targets[1]', message: 'unknown target "nowhere/model"' })
  })

  it('more than 10,000 cells', async () => {
    const prompts = Array.from({ length: 2001 }, (_, i) => `p${i}`)
    const error = await refused({ prompts, targets: ['fast/text:3', 'limit/limited'], repeats: 3 })
    expect(error.issues[0]!.message).toBe(
      '2001 prompts × 2 targets × 3 repeats = 12,006 cells, above the limit of 10,000',
    )
  })

  it('a bad expected check, by prompt index', async () => {
    const error = await refused({
      prompts: ['a', { prompt: 'b', expected: 'contains:b' }, { prompt: 'c', expected: 'smells:c' }],
      targets: ['fast/text:3'],
    })
    expect(error.issues).toHaveLength(1)
    expect(error.issues[0]!.path).toBe('prompts[2].expected')
  })

  it('repeats out of range, unknown fields, a budget below the estimate', async () => {
    const repeats = await refused({ prompts: ['a'], targets: ['fast/text:3'], repeats: 21 })
    expect(repeats.issues[0]!.path).toBe('repeats')
    const extra = await refused({ prompts: ['a'], targets: ['fast/text:3'], shuffle: true })
    expect(extra.issues[0]!.message).toContain('shuffle')
    // $100,000 per million input tokens: the prompt alone costs more than a cent.
    const budget = await refused({ prompts: ['a b c d e f'], targets: ['pricey/text:4'], max_usd: 0.01 })
    expect(budget.message).toMatch(/^the estimate is \$[\d.]+–\$[\d.]+ for 1 cells, above the budget of \$0\.01$/)
    expect(budget.issues[0]!.path).toBe('max_usd')
  })

  it('a body that is not JSON (400) or over the 16 MiB study limit (413)', async () => {
    expect((await api(url, '/api/studies', { body: '{nope' })).status).toBe(400)
    const big = await postDeclaredOversize(url, '/api/studies', 16 * 1024 * 1024)
    expect(big.status).toBe(413)
    expect(upstream.requests).toHaveLength(0)
  })
})

describe('POST /api/studies/estimate', () => {
  it('is the compare estimate of every prompt, summed, times the repeats; unpriced targets named', async () => {
    const one = await api<{ total_low_usd: number; total_high_usd: number }>(url, '/api/estimate', {
      body: { prompt: 'a b c', targets: ['pricey/text:4'], max_tokens: 10 },
    })
    const two = await api<{ total_low_usd: number }>(url, '/api/estimate', {
      body: { prompt: 'd e', system: 'brief', targets: ['pricey/text:4'], max_tokens: 10 },
    })
    const res = await api<{ low_usd: number; high_usd: number; unknown_targets: string[]; cells: number }>(
      url,
      '/api/studies/estimate',
      {
        body: {
          prompts: ['a b c', { prompt: 'd e', system: 'brief' }],
          targets: ['pricey/text:4'],
          repeats: 3,
          max_tokens: 10,
        },
      },
    )
    expect(res.status).toBe(200)
    expect(res.body.cells).toBe(6)
    expect(res.body.low_usd).toBeCloseTo(3 * (one.body.total_low_usd + two.body.total_low_usd), 12)
    expect(res.body.high_usd).toBeGreaterThan(res.body.low_usd)
    expect(res.body.unknown_targets).toEqual([])
    expect(upstream.requests).toHaveLength(0)
  })
})

describe('running studies', () => {
  it('a rate-limited provider waits out Retry-After and ends all ok; other providers go on', async () => {
    const before = upstream.requestsFor('limited').length
    const created = await api<{ study_id: string }>(url, '/api/studies', {
      body: { prompts: ['a', 'b', 'c'], targets: ['limit/limited', 'fast/text:3'], concurrency: 3 },
    })
    expect(created.status).toBe(202)
    const view = await waitForStudy(url, created.body.study_id)
    expect(view.status).toBe('done')
    const limited = view.summary.targets.find((t) => t.target === 'limit/limited')!
    expect(limited).toMatchObject({ cells: 3, ok: 3, errors: 0 })
    const requests = upstream.requestsFor('limited').slice(before)
    // 3 refused, then every cell answered: no cell was sent while the provider was held for its Retry-After.
    expect(requests).toHaveLength(6)
    const firstRefused = requests[0]!.receivedAt
    for (const r of requests.slice(3)) expect(r.receivedAt - firstRefused).toBeGreaterThanOrEqual(950)
    // The other provider was not held: all its cells were sent before the limited one's first retry.
    const fast = upstream.requestsFor('text:3')
    expect(fast).toHaveLength(3)
    for (const r of fast) expect(r.receivedAt).toBeLessThan(requests[3]!.receivedAt)
  })

  it('a 429 holds the provider’s queue: no new cell is sent to it before Retry-After has passed', async () => {
    upstream.script('limited2', { kind: 'sequence', steps: [rateLimited(1), { kind: 'text', deltas: 3 }] })
    const created = await api<{ study_id: string }>(url, '/api/studies', {
      body: { prompts: ['a', 'b', 'c', 'd', 'e', 'f'], targets: ['limit/limited2'], concurrency: 3 },
    })
    const view = await waitForStudy(url, created.body.study_id)
    expect(view).toMatchObject({ status: 'done', progress: { ok: 6, errors: 0 } })
    const requests = upstream.requestsFor('limited2')
    // 3 sent at once (one refused), then 3 more cells and the refused one's retry, all after the hold.
    expect(requests).toHaveLength(7)
    const refused = requests[0]!.receivedAt
    for (const r of requests.slice(3)) expect(r.receivedAt - refused).toBeGreaterThanOrEqual(950)
  })

  it('keeps at most `concurrency` requests in flight per provider', async () => {
    upstream.script('paced2', { kind: 'text', deltas: 4, everyMs: 30 })
    const before = upstream.requestsFor('paced2').length
    const created = await api<{ study_id: string }>(url, '/api/studies', {
      body: { prompts: ['a', 'b', 'c', 'd', 'e', 'f', 'g'], targets: ['pacedp/paced2'], concurrency: 2 },
    })
    const view = await waitForStudy(url, created.body.study_id)
    expect(view).toMatchObject({ status: 'done', progress: { ok: 7 } })
    const requests = upstream.requestsFor('paced2').slice(before)
    expect(requests).toHaveLength(7)
    // Overlap from the upstream's own records: when each request arrived, how many were still open.
    const inFlight = requests.map(
      (r) => requests.filter((o) => o.receivedAt <= r.receivedAt && (o.closedAt ?? Infinity) > r.receivedAt).length,
    )
    expect(Math.max(...inFlight)).toBe(2)
  })

  it('cancel aborts the upstream requests in flight at once and marks the study cancelled', async () => {
    const created = await api<{ study_id: string }>(url, '/api/studies', {
      body: { prompts: ['a', 'b', 'c', 'd', 'e', 'f'], targets: ['slowp/slow'], concurrency: 2 },
    })
    const id = created.body.study_id
    await until(() => upstream.activeRequests() === 2)
    const abortsBefore = upstream.aborts
    const cancelled = await api<StudyView>(url, `/api/studies/${id}/cancel`, { method: 'POST' })
    expect(cancelled.status).toBe(200)
    expect(cancelled.body.status).toBe('cancelled')
    // The 200-delta answers would take 10 s; the upstream sees both connections closed now.
    await until(() => upstream.aborts - abortsBefore === 2 && upstream.activeRequests() === 0, 3000)
    const view = await waitForStudy(url, id, (v) => v.progress.cancelled === 2)
    expect(view).toMatchObject({ status: 'cancelled', progress: { done: 0, cancelled: 2, pending: 4 } })
    expect(upstream.requestsFor('slow')).toHaveLength(2)
    const again = await api(url, `/api/studies/${id}/resume`, { method: 'POST' })
    expect(again.status).toBe(409)
  })

  it('pause stops starting cells, lets those in flight finish; resume runs only the missing ones', async () => {
    const created = await api<{ study_id: string }>(url, '/api/studies', {
      body: { prompts: ['a', 'b', 'c', 'd', 'e', 'f'], targets: ['pacedp/paced'], concurrency: 1 },
    })
    const id = created.body.study_id
    await waitForStudy(url, id, (v) => v.progress.done >= 1)
    const paused = await api<StudyView>(url, `/api/studies/${id}/pause`, { method: 'POST' })
    expect(paused.body).toMatchObject({ status: 'interrupted', stop_reason: 'paused' })
    // The cell in flight when pausing finishes and is kept; nothing new starts.
    await until(() => upstream.requestsFor('paced').every((r) => r.closedAt !== null))
    const sent = upstream.requestsFor('paced').length
    const held = await waitForStudy(url, id, (v) => v.progress.done === sent)
    expect(held.progress.pending).toBe(6 - sent)
    expect(sent).toBeLessThan(6)
    expect(upstream.requestsFor('paced').every((r) => !r.aborted)).toBe(true)
    expect((await api(url, `/api/studies/${id}/pause`, { method: 'POST' })).status).toBe(409)
    const listed = async () =>
      (await api<{ studies: StudyListItem[] }>(url, '/api/studies')).body.studies.find((s) => s.study_id === id)!
    expect((await listed()).summary).toEqual((await api<StudyView>(url, `/api/studies/${id}`)).body.summary)

    const resumed = await api<StudyView>(url, `/api/studies/${id}/resume`, { method: 'POST' })
    expect(resumed.status).toBe(200)
    expect(resumed.body).toMatchObject({ status: 'running', stop_reason: null })
    const done = await waitForStudy(url, id)
    expect(done).toMatchObject({ status: 'done', progress: { done: 6, ok: 6, pending: 0 } })
    // Only the missing cells ran: one request per cell in all.
    expect(upstream.requestsFor('paced')).toHaveLength(6)
    const cells = await api<{ cells: CellView[] }>(url, `/api/studies/${id}/cells`)
    expect(new Set(cells.body.cells.map((c) => c.run_id)).size).toBe(6)
    // The summary the list kept while paused is out of date once the study ran on: the list gives the new one.
    expect((await listed()).summary).toEqual(done.summary)
    expect(done.summary.targets[0]).toMatchObject({ cells: 6, ok: 6 })
  })

  it('stops starting cells once the known spend reaches max_usd (interrupted, budget)', async () => {
    // Each cell costs (11 input + 3 output tokens) at $1/$2 per M = $0.000017, about twice the low estimate
    // (the prompt alone, ~8 tokens): 10 cells are estimated at $0.00008 or more and cost $0.00017.
    const created = await api<{ study_id: string }>(url, '/api/studies', {
      body: {
        prompts: Array.from({ length: 10 }, (_, i) => `p${i}`),
        targets: ['fast/text:3'],
        concurrency: 2,
        max_tokens: 3,
        max_usd: 0.0001,
      },
    })
    expect(created.status).toBe(202)
    const id = created.body.study_id
    const stopped = await waitForStudy(
      url,
      id,
      (v) => v.stop_reason === 'budget' && v.progress.done + v.progress.pending === 10,
    )
    await until(() => upstream.activeRequests() === 0)
    const settled = (await api<StudyView>(url, `/api/studies/${id}`)).body
    expect(settled).toMatchObject({ status: 'interrupted', stop_reason: 'budget', max_usd: 0.0001 })
    // 6 cells reach $0.000102; at most one more was already in flight when the spend crossed the budget.
    expect(settled.spend_so_far_usd).toBeGreaterThanOrEqual(0.0001)
    expect(settled.progress.done).toBeGreaterThanOrEqual(6)
    expect(settled.progress.done).toBeLessThanOrEqual(7)
    expect(stopped.progress.pending).toBeGreaterThan(0)
    const again = await api<ApiErrorBody>(url, `/api/studies/${id}/resume`, { method: 'POST' })
    expect(again.status).toBe(409)
    expect(again.body.error.message).toContain('max_usd')
    const raised = await api<StudyView>(url, `/api/studies/${id}/resume`, { method: 'POST', body: { max_usd: 1 } })
    expect(raised.status).toBe(200)
    const done = await waitForStudy(url, id)
    expect(done).toMatchObject({ status: 'done', max_usd: 1, progress: { done: 10 } })
  })
})

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}
