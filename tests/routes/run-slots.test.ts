import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openSqliteRunStore, type SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { startFakeUpstream, waitFor, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, postCompare, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { collectSSE, readSSE, type SSEFrame } from '../helpers/sse.ts'

// run.max_concurrent_runs: past the cap a new run, follow-up or column retry is refused with 429 and
// Retry-After, before anything is recorded or sent upstream; once runs end, new ones are accepted again.

const dir = mkdtempSync(join(tmpdir(), 'juxta-run-slots-'))
let fake: FakeUpstream
let store: SqliteRunStore
let juxta: RunningJuxta

beforeAll(async () => {
  fake = await startFakeUpstream()
  // Holds its slot until the test stops it, however slow the machine.
  fake.script('slow', { kind: 'endless', mode: 'deltas', everyMs: 50 })
  fake.script('quick', { kind: 'text', deltas: 2 })
  store = openSqliteRunStore(join(dir, 'juxta.db'))
  juxta = await startJuxta({
    store,
    config: fakeConfig({ f: { base_url: fake.url, models: ['slow', 'quick'] } }, { max_concurrent_runs: 2 }),
  })
})

afterAll(async () => {
  await juxta?.close()
  await fake?.close()
  await store?.close()
  rmSync(dir, { recursive: true, force: true })
})

const runCount = async () => (await store.listRuns({ limit: 1, page: 1 })).total

/** History writes are batched (at most ~100 ms behind): the count the runs reach, or the last seen after 5 s. */
async function runCountReaching(n: number): Promise<number | undefined> {
  const end = performance.now() + 5000
  let count = await runCount()
  while (count !== n && performance.now() < end) {
    await new Promise((r) => setTimeout(r, 10))
    count = await runCount()
  }
  return count
}
const page = (path: string, form: URLSearchParams) =>
  fetch(`${juxta.url}${path}`, { method: 'POST', body: form, headers: { origin: juxta.url } })

/** Reads an SSE response to its end in the background, handing back the first frame at once. */
async function openStream(res: Response): Promise<{ first: SSEFrame; rest: Promise<SSEFrame[]> }> {
  const frames = readSSE(res.body!)
  const first = (await frames.next()).value as SSEFrame
  const rest = (async () => {
    const all: SSEFrame[] = []
    try {
      for await (const f of frames) all.push(f)
    } catch {
      // the client went away (aborted below): the frames so far are the answer
    }
    return all
  })()
  return { first, rest }
}

describe('run.max_concurrent_runs', () => {
  it('refuses the run past the cap with 429 and Retry-After, records nothing, and accepts again later', async () => {
    expect(juxta.ctx.runSlots.max).toBe(2)
    const apiClient = new AbortController()
    const api = await fetch(`${juxta.url}/api/compare`, {
      signal: apiClient.signal,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'held by the API', targets: ['f/slow'], stream: true }),
    })
    expect(api.status).toBe(200)
    const apiRun = await openStream(api)
    expect(apiRun.first.event).toBe('run')

    const live = await page(
      '/runs',
      new URLSearchParams([
        ['prompt', 'held by the page'],
        ['targets', 'f/slow'],
      ]),
    )
    expect(live.status).toBe(200)
    const pageRun = await openStream(live)
    const pageRunId = /data-run-id="([^"]+)"/.exec(pageRun.first.data)![1]!
    expect(juxta.ctx.runSlots.inFlight).toBe(2)
    expect(await runCountReaching(2)).toBe(2)
    expect(await waitFor(() => fake.requestsFor('slow').length === 2, 5000)).toBe(true)
    const upstreamBefore = fake.requests.length

    const whole = await postCompare(juxta.url, { prompt: 'one too many', targets: ['f/quick'] })
    expect(whole.status).toBe(429)
    expect(await retryAfterOf({ prompt: 'again', targets: ['f/quick'] })).toBe('5')
    expect(whole.body.error.message).toMatch(/too many runs in progress \(at most 2 at once\)/)

    const streamed = await fetch(`${juxta.url}/api/compare`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'one too many, streamed', targets: ['f/quick'], stream: true }),
    })
    expect(streamed.status).toBe(429)
    expect(streamed.headers.get('content-type')).toMatch(/^application\/json/)
    expect((await streamed.json()).error.message).toMatch(/too many runs/)

    // The page: a message for the form's errors box, not a stream.
    const refused = await page(
      '/runs',
      new URLSearchParams([
        ['prompt', 'one too many'],
        ['targets', 'f/quick'],
      ]),
    )
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('5')
    expect(refused.headers.get('content-type')).toMatch(/^text\/html/)
    const html = await refused.text()
    expect(html).toContain('<div class="form-errors" role="alert"><strong>Not started:</strong>')
    expect(html).toContain('Too many runs in progress (at most 2 at once). Nothing was sent or recorded')

    // A follow-up and a column retry take a slot too.
    const followUpForm = new URLSearchParams([
      ['prompt', 'and then?'],
      ['targets', 'f/slow'],
      ['parent', pageRunId],
    ])
    const followUp = await page('/runs', followUpForm)
    expect(followUp.status).toBe(429)
    const retry = await page(`/runs/${pageRunId}/retry/0`, new URLSearchParams())
    expect(retry.status).toBe(429)
    expect(retry.headers.get('retry-after')).toBe('5')
    // Only partials, into the column's error box: the column keeps its answer.
    expect(await retry.text()).toMatch(
      /^<hx-partial hx-target="#e0" hx-swap="innerHTML"><p class="error" role="alert">Too many runs/,
    )

    expect(await runCount()).toBe(2)
    expect(fake.requests.length).toBe(upstreamBefore)

    // Both held runs end (Stop on the page, the API client going away), and their slots come back.
    expect((await page(`/runs/${pageRunId}/stop`, new URLSearchParams())).status).toBe(204)
    apiClient.abort()
    const [, pageFrames] = await Promise.all([apiRun.rest, pageRun.rest])
    expect(pageFrames.at(-1)!.event).toBe('done')
    expect(await waitFor(() => juxta.ctx.runSlots.inFlight === 0, 5000)).toBe(true)
    const held = (await store.listRuns({ limit: 2 })).runs
    expect(held.map((r) => [r.status, r.targets[0]!.status])).toEqual([
      ['done', 'cancelled'],
      ['done', 'cancelled'],
    ])

    const accepted = await postCompare(juxta.url, { prompt: 'room again', targets: ['f/quick'] })
    expect(accepted.status).toBe(200)
    expect(accepted.body.results[0]!.status).toBe('ok')
    const pageAgain = await page(
      '/runs',
      new URLSearchParams([
        ['prompt', 'room again'],
        ['targets', 'f/quick'],
      ]),
    )
    expect(pageAgain.status).toBe(200)
    expect((await collectSSE(pageAgain)).at(-1)!.event).toBe('done')
    expect(await runCountReaching(4)).toBe(4)
    expect(await waitFor(() => juxta.ctx.runSlots.inFlight === 0, 5000)).toBe(true)
  })
})

/** Retry-After of a refused compare. */
async function retryAfterOf(body: unknown): Promise<string | null> {
  const res = await fetch(`${juxta.url}/api/compare`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  expect(res.status).toBe(429)
  await res.body?.cancel()
  return res.headers.get('retry-after')
}
