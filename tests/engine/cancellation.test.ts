import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeUpstream, waitFor, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { compareResults, fakeConfig, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { readSSE } from '../helpers/sse.ts'
import { runCompare } from '../../src/engine/compare.ts'
import { buildRequest } from '../../src/engine/run-service.ts'
import type { RunEvent } from '../../src/engine/types.ts'

// A client that goes away stops the upstream requests it caused, within a bounded time.

const SLOW = ['slow-a', 'slow-b', 'endless']

let fake: FakeUpstream
let juxta: RunningJuxta

beforeAll(async () => {
  fake = await startFakeUpstream()
  fake.script('slow-a', { kind: 'text', deltas: 200, everyMs: 25 })
  fake.script('slow-b', { kind: 'text', deltas: 200, everyMs: 25, reasoning: 3 })
  fake.script('endless', { kind: 'endless', mode: 'deltas', everyMs: 25 })
  fake.script('quick', { kind: 'text', deltas: ['still', ' serving'] })
  juxta = await startJuxta({ config: fakeConfig({ c: { base_url: fake.url, models: [...SLOW, 'quick'] } }) })
})

afterAll(async () => {
  await juxta?.close()
  await fake?.close()
})

const settled = () => fake.activeRequests() === 0

describe('cancellation', () => {
  it('a client leaving a streaming /api/compare aborts every upstream request', async () => {
    const abortsBefore = fake.aborts
    const requestsBefore = fake.requests.length
    const client = new AbortController()
    const res = await fetch(`${juxta.url}/api/compare`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'long please', targets: SLOW.map((m) => `c/${m}`), stream: true }),
      signal: client.signal,
    })
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const seen = new Set<number>()
    for await (const frame of readSSE(res.body!)) {
      if (frame.event === 'delta') seen.add(JSON.parse(frame.data).index)
      if (seen.size === SLOW.length) break
    }
    expect(fake.requests.length - requestsBefore).toBe(3)
    const leftAt = performance.now()
    client.abort()
    expect(await waitFor(() => fake.aborts - abortsBefore === 3, 2000)).toBe(true)
    // Bounded: well before any of these streams would have ended on its own (5 s, or never).
    expect(performance.now() - leftAt).toBeLessThan(1000)
    expect(fake.requests.slice(requestsBefore).every((r) => r.aborted)).toBe(true)
    expect(await waitFor(() => fake.activeRequests() === 0, 2000)).toBe(true)
  })

  it('a client leaving a non-streamed /api/compare aborts the upstream requests too', async () => {
    const abortsBefore = fake.aborts
    const requestsBefore = fake.requests.length
    const client = new AbortController()
    const pending = fetch(`${juxta.url}/api/compare`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'long please', targets: ['c/slow-a', 'c/endless'] }),
      signal: client.signal,
    }).catch((err: unknown) => err)
    expect(await waitFor(() => fake.requests.length - requestsBefore === 2, 2000)).toBe(true)
    client.abort()
    expect(await pending).toBeInstanceOf(Error)
    expect(await waitFor(() => fake.aborts - abortsBefore === 2, 2000)).toBe(true)
  })

  it('keeps serving after cancelled runs', async () => {
    expect(await waitFor(settled, 2000)).toBe(true)
    const [r] = await compareResults(juxta.url, 'hi', ['c/quick'])
    expect(r).toMatchObject({ status: 'ok', text: 'still serving' })
  })

  it('runCompare: an aborted signal ends every target as cancelled, keeping partial text', async () => {
    const controller = new AbortController()
    const events: RunEvent[] = []
    const request = buildRequest({ prompt: 'x', targets: ['c/slow-a', 'c/slow-b'], params: {} })
    const abortsBefore = fake.aborts
    const pending = runCompare(juxta.ctx, request, {
      signal: controller.signal,
      onEvent: (e) => {
        events.push(e)
        if (e.type === 'delta' && events.filter((x) => x.type === 'delta' && x.kind === 'text').length >= 4)
          controller.abort()
      },
    })
    const results = await pending
    expect(results.map((r) => r.status)).toEqual(['cancelled', 'cancelled'])
    for (const r of results) {
      expect(r.error?.kind).toBe('cancelled')
      expect(r.text.length + r.reasoning.length).toBeGreaterThan(0)
      expect(r.attempts).toBe(1)
    }
    expect(await waitFor(() => fake.aborts - abortsBefore === 2, 2000)).toBe(true)
  })

  it('runCompare: a signal aborted before the start makes no upstream request', async () => {
    const before = fake.requests.length
    const controller = new AbortController()
    controller.abort()
    const results = await runCompare(juxta.ctx, buildRequest({ prompt: 'x', targets: ['c/quick'], params: {} }), {
      signal: controller.signal,
    })
    expect(results[0]!.status).toBe('cancelled')
    expect(results[0]!.text).toBe('')
    expect(fake.requests.length).toBe(before)
  })
})
