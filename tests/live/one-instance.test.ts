import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { type RedisServer, startRedis } from '../helpers/redis-server.ts'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, postCompare, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { readSSE, type SSEFrame } from '../helpers/sse.ts'
import { openSqliteRunStore, type SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { SqliteArenaStore } from '../../src/storage/arena-store.ts'

let upstream: FakeUpstream
let store: SqliteRunStore
let dir: string
let juxta: RunningJuxta

const MODELS = [
  { id: 'paced', label: 'Paced Label' },
  { id: 'other', label: 'Other Label' },
]

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'juxta-live-one-'))
  store = openSqliteRunStore(join(dir, 'juxta.db'), { log: () => {} })
  upstream = await startFakeUpstream()
  upstream.script('paced', { kind: 'text', deltas: 20, everyMs: 50 })
  upstream.script('other', { kind: 'text', deltas: ['Other', ' answer'], everyMs: 30 })
  // No Redis: the event log and commands of this one process.
  juxta = await startJuxta({
    config: fakeConfig({ p: { base_url: upstream.url, models: MODELS } }),
    store,
    arena: new SqliteArenaStore(store.db),
  })
})

afterAll(async () => {
  await juxta?.close()
  await juxta?.ctx.live.close()
  await upstream?.close()
  await store?.close()
  rmSync(dir, { recursive: true, force: true })
})

async function frames(url: string): Promise<SSEFrame[]> {
  const res = await fetch(url)
  const out: SSEFrame[] = []
  for await (const f of readSSE(res.body!)) out.push(f)
  return out
}

/** Starts a page run (the compare form's POST) and reads its stream in the background. */
async function pageRun(fields: Array<[string, string]>) {
  const res = await fetch(`${juxta.url}/runs`, {
    method: 'POST',
    headers: { origin: juxta.url },
    body: new URLSearchParams([['prompt', 'Go on'], ...fields]),
  })
  expect(res.status).toBe(200)
  const reader = readSSE(res.body!)
  const first = (await reader.next()).value as SSEFrame
  const runId = first.data.match(/data-run-id="([^"]+)"/)![1]!
  const rest = (async () => {
    for await (const _ of reader) {
      // read to the end
    }
  })()
  return { runId, rest }
}

describe('live runs on one instance, in memory', () => {
  it('a reload mid-run reattaches the page and the API to the same run', async () => {
    const run = await pageRun([['targets', 'p/paced']])
    await expect.poll(async () => (await store.getRun(run.runId))?.status, { timeout: 5000 }).toBe('running')
    const page = await (await fetch(`${juxta.url}/runs/${run.runId}`)).text()
    expect(page).toContain(`hx-get="/runs/${run.runId}/live"`)
    const [live, events] = await Promise.all([
      frames(`${juxta.url}/runs/${run.runId}/live`),
      frames(`${juxta.url}/api/runs/${run.runId}/events`),
    ])
    await run.rest
    const text = Array.from({ length: 20 }, (_, i) => `w${i + 1}`).join(' ')
    expect(live.map((f) => f.data).join('')).toContain(`<p>${text}</p>`)
    expect(live.at(-1)).toMatchObject({ event: 'done' })
    expect(events.map((f) => f.event).filter((e) => e !== 'delta')).toEqual(['run', 'first-token', 'result', 'done'])
    expect(events.every((f) => /^\d+$/.test(f.id ?? ''))).toBe(true)
    // Ended: the page is history's again.
    const after = await (await fetch(`${juxta.url}/runs/${run.runId}`)).text()
    expect(after).not.toContain(`/runs/${run.runId}/live`)
  })

  it('a blind run stays blind to a watcher: letters, no figures, no names, and no API events', async () => {
    const run = await pageRun([
      ['targets', 'p/paced'],
      ['targets', 'p/other'],
      ['blind', 'on'],
    ])
    await expect.poll(async () => (await store.getRun(run.runId))?.status, { timeout: 5000 }).toBe('running')
    const events = await fetch(`${juxta.url}/api/runs/${run.runId}/events`)
    expect(events.status).toBe(409)
    const live = (await frames(`${juxta.url}/runs/${run.runId}/live`)).map((f) => f.data).join('')
    await run.rest
    expect(live).toContain('Answer A')
    expect(live).toContain('Answer B')
    for (const name of ['paced', 'other', 'Paced Label', 'Other Label', 'p/']) expect(live).not.toContain(name)
    expect(live).not.toMatch(/TTFT|tok\/s|\d ms\b/)
  })

  it('Stop of a run held here by the API, from the page route, aborts its upstream', async () => {
    upstream.script('forever', { kind: 'endless', mode: 'deltas', everyMs: 40 })
    const other = await startJuxta({
      config: fakeConfig({ p: { base_url: upstream.url, models: ['forever'] } }),
      store,
    })
    try {
      const res = await fetch(`${other.url}/api/compare`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'Forever', targets: ['p/forever'], stream: true }),
      })
      const reader = readSSE(res.body!)
      const runId = (JSON.parse(((await reader.next()).value as SSEFrame).data) as { run_id: string }).run_id
      await reader.next()
      const stop = await fetch(`${other.url}/runs/${runId}/stop`, { method: 'POST', headers: { origin: other.url } })
      expect(stop.status).toBe(204)
      const rest: SSEFrame[] = []
      for await (const f of reader) rest.push(f)
      const result = JSON.parse(rest.find((f) => f.event === 'result')!.data) as { result: { status: string } }
      expect(result.result.status).toBe('cancelled')
      await expect.poll(() => upstream.requestsFor('forever')[0]?.aborted, { timeout: 5000 }).toBe(true)
    } finally {
      await other.close()
      await other.ctx.live.close()
    }
  })
})

describe('live runs while Redis is away', () => {
  let redisServer: RedisServer
  beforeAll(async () => {
    redisServer = await startRedis()
  })
  afterAll(async () => {
    await redisServer?.stop()
  })

  it('a run goes on and answers in full; the log says so once', async () => {
    const redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 })
    redis.on('error', () => {})
    const app = await startJuxta({
      config: fakeConfig({ p: { base_url: upstream.url, models: MODELS } }),
      store,
      live: { redis, prefix: 'away:', instanceId: 'alone' },
    })
    try {
      await redis.ping()
      // Redis goes away once the command channel is subscribed (a subscribe cut short is a line of its own).
      for (let i = 0; i < 200; i++) {
        const [, subscribers] = (await redis.pubsub('NUMSUB', 'away:commands:alone')) as [string, number]
        if (Number(subscribers) > 0) break
        await new Promise((r) => setTimeout(r, 25))
      }
      await redisServer.kill()
      const { status, body } = await postCompare(app.url, { prompt: 'Still there?', targets: ['p/paced', 'p/other'] })
      expect(status).toBe(200)
      expect(body.results.map((r) => r.status)).toEqual(['ok', 'ok'])
      expect(body.results[1]!.text).toBe('Other answer')
      // One line per outage and connection, not one per entry or reconnect attempt.
      const lines = app.logs.filter((l) => l.startsWith('live runs:'))
      expect(lines.filter((l) => /Redis unavailable, live entries dropped/.test(l))).toHaveLength(1)
      expect(lines.filter((l) => /command channel down/.test(l))).toHaveLength(1)
      expect(lines, lines.join('\n')).toHaveLength(2)
      // Nothing live to attach to: the page and the API fall back to history.
      const events = await frames(`${app.url}/api/runs/${body.run_id}/events`)
      expect(events.map((f) => f.event)).toEqual(['run', 'result', 'result', 'done'])
    } finally {
      await app.close()
      await app.ctx.live.close()
      redis.disconnect()
    }
  })
})
