import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { type RedisServer, startRedis } from '../helpers/redis-server.ts'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { readSSE, type SSEFrame } from '../helpers/sse.ts'
import { openSqliteRunStore, type SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import type { RedisCommandBus } from '../../src/live/command-bus.ts'

let redisServer: RedisServer
let upstream: FakeUpstream
let store: SqliteRunStore
let dir: string
let a: RunningJuxta
let b: RunningJuxta
const clients: Redis[] = []

const MODELS = ['slow', 'resumed', 'endless', 'quick']

async function instance(instanceId: string): Promise<RunningJuxta> {
  const redis = new Redis(redisServer.url)
  redis.on('error', () => {})
  clients.push(redis)
  const juxta = await startJuxta({
    config: fakeConfig({ p: { base_url: upstream.url, models: MODELS } }),
    store,
    live: { redis, prefix: 'two:', instanceId },
  })
  await (juxta.ctx.live.commands as RedisCommandBus).ready()
  return juxta
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'juxta-two-instances-'))
  store = openSqliteRunStore(join(dir, 'juxta.db'), { log: () => {} })
  ;[redisServer, upstream] = await Promise.all([startRedis(), startFakeUpstream()])
  // Two or three deltas per 50 ms coalescing window, for about 1.5 s.
  upstream.script('slow', { kind: 'text', deltas: 60, everyMs: 25 })
  upstream.script('resumed', { kind: 'text', deltas: 30, everyMs: 40 })
  upstream.script('endless', { kind: 'endless', mode: 'deltas', everyMs: 40 })
  upstream.script('quick', { kind: 'text', deltas: 5, everyMs: 5 })
  a = await instance('instance-a')
  b = await instance('instance-b')
})

afterAll(async () => {
  for (const j of [a, b]) {
    await j?.close()
    await j?.ctx.live.close()
  }
  for (const c of clients) c.disconnect()
  await upstream?.close()
  await store?.close()
  await redisServer?.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** Starts a streamed API run on `on`; its frames are read to the end in the background. */
async function startRun(on: RunningJuxta, model: string) {
  const res = await fetch(`${on.url}/api/compare`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'Count for me', targets: [`p/${model}`], stream: true }),
  })
  expect(res.status).toBe(200)
  const frames = readSSE(res.body!)
  const first = (await frames.next()).value as SSEFrame
  expect(first.event).toBe('run')
  const runId = (JSON.parse(first.data) as { run_id: string }).run_id
  const seen: SSEFrame[] = [first]
  const all = (async () => {
    for await (const f of frames) seen.push(f)
    return seen
  })()
  return { runId, seen, all }
}

async function frames(url: string, headers: Record<string, string> = {}): Promise<SSEFrame[]> {
  const res = await fetch(url, { headers })
  expect(res.status).toBe(200)
  const out: SSEFrame[] = []
  for await (const f of readSSE(res.body!)) out.push(f)
  return out
}

const doneText = (fs: SSEFrame[]) =>
  (JSON.parse(fs.find((f) => f.event === 'done')!.data) as { results: Array<{ text: string }> }).results[0]!.text
const deltaText = (fs: SSEFrame[]) =>
  fs
    .filter((f) => f.event === 'delta')
    .map((f) => (JSON.parse(f.data) as { text: string }).text)
    .join('')

describe('two instances sharing one store and one Redis', () => {
  it('a run on A is read on B with its partial text, and B attaches and ends with the same text', async () => {
    const run = await startRun(a, 'slow')
    // History on B (the shared store) has the partial text while A still runs it.
    let partial = { status: '', results: [{ text: '' }] }
    await expect
      .poll(
        async () => {
          partial = await (await fetch(`${b.url}/api/runs/${run.runId}`)).json()
          return partial.results[0]?.text.length ?? 0
        },
        { timeout: 5000, interval: 100 },
      )
      .toBeGreaterThan(0)
    expect(partial.status).toBe('running')
    const page = await (await fetch(`${b.url}/runs/${run.runId}`)).text()
    expect(page).toContain(`hx-get="/runs/${run.runId}/live"`)
    expect(page).toContain('w1')
    // B's API events and B's page stream, both attached to A's run mid-way.
    const [events, pageStream] = await Promise.all([
      frames(`${b.url}/api/runs/${run.runId}/events`),
      frames(`${b.url}/runs/${run.runId}/live`),
    ])
    const onA = await run.all
    const finalText = doneText(onA)
    expect(finalText).toMatch(/^w1 w2 .* w60$/)
    expect(events[0]!.event).toBe('run')
    expect(doneText(events)).toBe(finalText)
    expect(deltaText(events)).toBe(finalText)
    // Fewer messages than A's own stream: deltas are coalesced in the log.
    expect(events.filter((f) => f.event === 'delta').length).toBeLessThan(60)
    const ids = events.map((f) => f.id!)
    expect(ids.every((id) => /^\d+-\d+$/.test(id))).toBe(true)
    expect([...ids].sort(byStreamId)).toEqual(ids)
    // The page: the skeleton, the text so far and live partials, the final answer, then `done`.
    expect(pageStream[0]!.data).toContain(`data-run-id="${run.runId}"`)
    const html = pageStream.map((f) => f.data).join('')
    expect(html).toContain(`<p>${finalText}</p>`)
    expect(html).toContain('Copy as Markdown')
    expect(pageStream.at(-1)).toMatchObject({ event: 'done', data: run.runId })
  })

  it('a reconnect with Last-Event-ID gets exactly the events after it, on the API and on the page', async () => {
    const run = await startRun(a, 'resumed')
    const controller = new AbortController()
    const res = await fetch(`${b.url}/api/runs/${run.runId}/events`, { signal: controller.signal })
    const before: SSEFrame[] = []
    for await (const f of readSSE(res.body!)) {
      before.push(f)
      if (before.filter((x) => x.event === 'delta').length === 2) break
    }
    controller.abort()
    const lastId = before.at(-1)!.id!
    const after = await frames(`${b.url}/api/runs/${run.runId}/events`, { 'Last-Event-ID': lastId })
    await run.all
    const full = await frames(`${b.url}/api/runs/${run.runId}/events`)
    const at = full.findIndex((f) => f.id === lastId)
    expect(at).toBeGreaterThan(0)
    expect(before).toEqual(full.slice(0, at + 1))
    expect(after).toEqual(full.slice(at + 1))
    expect(after.some((f) => f.event === 'run')).toBe(false)

    // The page: no skeleton again, only the text that followed (the composer rebuilt silently).
    const resumed = await frames(`${b.url}/runs/${run.runId}/live`, { 'Last-Event-ID': lastId })
    const html = resumed.map((f) => f.data).join('')
    expect(html).not.toContain('data-run-id=')
    const missed = deltaText(full.slice(at + 1))
    expect(missed.length).toBeGreaterThan(0)
    expect(html).toContain(`hx-swap="beforeend">${missed}</hx-partial>`)
    expect(html).not.toContain(`beforeend">${deltaText(full)}<`)
  })

  it('Stop on B aborts the upstream request A makes', async () => {
    const run = await startRun(a, 'endless')
    await expect.poll(() => run.seen.some((f) => f.event === 'delta'), { timeout: 5000 }).toBe(true)
    const stop = await fetch(`${b.url}/runs/${run.runId}/stop`, { method: 'POST', headers: { origin: b.url } })
    expect(stop.status).toBe(204)
    const onA = await run.all
    const result = JSON.parse(onA.find((f) => f.event === 'result')!.data) as { result: { status: string } }
    expect(result.result.status).toBe('cancelled')
    await expect.poll(() => upstream.requestsFor('endless')[0]?.aborted, { timeout: 5000 }).toBe(true)
  })

  it('"retry this column" on B re-runs the column on A, and B streams it from the log', async () => {
    const started = await fetch(`${a.url}/runs`, {
      method: 'POST',
      headers: { origin: a.url },
      body: new URLSearchParams([
        ['prompt', 'Again'],
        ['targets', 'p/quick'],
      ]),
    })
    const runId = (await started.text()).match(/data-run-id="([^"]+)"/)![1]!
    expect(upstream.requestsFor('quick')).toHaveLength(1)
    const res = await fetch(`${b.url}/runs/${runId}/retry/0`, { method: 'POST', headers: { origin: b.url } })
    expect(res.status).toBe(200)
    const retried: SSEFrame[] = []
    for await (const f of readSSE(res.body!)) retried.push(f)
    expect(upstream.requestsFor('quick')).toHaveLength(2)
    const html = retried.map((f) => f.data).join('')
    expect(html).toContain('hx-target="#m0" hx-swap="innerHTML"></hx-partial>')
    expect(html).toContain('<p>w1 w2 w3 w4 w5</p>')
    expect(html).toContain('class="summary-table')
    expect(retried.at(-1)).toMatchObject({ event: 'done', data: runId })
    // A holds the new result: its copy route answers with it.
    expect(await (await fetch(`${a.url}/runs/${runId}/answers/0`)).text()).toBe('w1 w2 w3 w4 w5')
  })

  it('a retry the owner does not make (an API run it no longer holds) ends with a note, the answer kept', async () => {
    const run = await startRun(a, 'quick')
    await run.all
    b.ctx.live.retryWaitMs = 300
    try {
      const res = await fetch(`${b.url}/runs/${run.runId}/retry/0`, { method: 'POST', headers: { origin: b.url } })
      expect(res.status).toBe(200)
      const got: SSEFrame[] = []
      for await (const f of readSSE(res.body!)) got.push(f)
      const html = got.map((f) => f.data).join('')
      expect(html).toContain('did not retry it')
      // The column was not emptied: no reset partials.
      expect(html).not.toContain('hx-target="#m0"')
      expect(got.at(-1)).toMatchObject({ event: 'done' })
      expect(upstream.requestsFor('quick')).toHaveLength(3)
    } finally {
      b.ctx.live.retryWaitMs = 10_000
    }
  })

  it('falls back to history for a run with no live log', async () => {
    const run = await startRun(a, 'quick')
    await run.all
    await clients[0]!.del(`two:run:${run.runId}:events`)
    const events = await frames(`${b.url}/api/runs/${run.runId}/events`)
    expect(events.map((f) => f.event)).toEqual(['run', 'result', 'done'])
    expect(doneText(events)).toBe('w1 w2 w3 w4 w5')
    const page = await (await fetch(`${b.url}/runs/${run.runId}`)).text()
    expect(page).not.toContain(`/runs/${run.runId}/live`)
    const live = await frames(`${b.url}/runs/${run.runId}/live`)
    expect(live).toEqual([{ event: 'done', data: '' }])
  })
})

function byStreamId(x: string, y: string): number {
  const [xm, xs] = x.split('-').map(BigInt)
  const [ym, ys] = y.split('-').map(BigInt)
  return xm! === ym! ? Number(xs! - ys!) : Number(xm! - ym!)
}
