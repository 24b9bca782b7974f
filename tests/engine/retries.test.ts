import { createServer, type AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openAIError, rateLimited, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { collectSSE } from '../helpers/sse.ts'
import type { TargetResult } from '../../src/domain/types.ts'

// Retries happen only before the first token, only for retryable kinds, and honour Retry-After.

let fake: FakeUpstream
let juxta: RunningJuxta

const MODELS = [
  'ra-always',
  'ra-then-ok',
  'ra-too-long',
  'ra-ms',
  'five-hundred-always',
  'five-o-three-then-ok',
  'reset-mid-stream',
  'auth-never-retried',
  'quota-never-retried',
  'bad-request-never-retried',
  'html-never-retried',
]

/** A loopback port nobody listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

beforeAll(async () => {
  fake = await startFakeUpstream()
  const downPort = await closedPort()
  fake.script('ra-always', rateLimited(1))
  fake.script('ra-then-ok', {
    kind: 'sequence',
    steps: [rateLimited(0), { kind: 'text', deltas: ['after', ' retry'] }],
  })
  fake.script('ra-too-long', rateLimited(30))
  fake.script('ra-ms', {
    kind: 'sequence',
    steps: [
      { ...rateLimited(1), headers: { 'retry-after-ms': '120', 'retry-after': '1' } },
      { kind: 'text', deltas: 2 },
    ],
  })
  fake.script('five-hundred-always', { kind: 'status', status: 500, body: openAIError('boom', 'server_error') })
  fake.script('five-o-three-then-ok', {
    kind: 'sequence',
    steps: [
      { kind: 'status', status: 503, body: openAIError('overloaded', 'server_error') },
      { kind: 'text', deltas: ['recovered'] },
    ],
  })
  fake.script('reset-mid-stream', { kind: 'reset', after: 10 })
  fake.script('auth-never-retried', { kind: 'auth-echo' })
  fake.script('quota-never-retried', { kind: 'fixture', file: 'deepseek_402_insufficient-balance.json' })
  fake.script('html-never-retried', {
    kind: 'status',
    status: 200,
    body: '<html>login</html>',
    headers: { 'content-type': 'text/html' },
  })
  fake.script('bad-request-never-retried', {
    kind: 'status',
    status: 400,
    body: openAIError('messages: field required', 'invalid_request_error', null, 'messages'),
  })
  juxta = await startJuxta({
    config: fakeConfig(
      {
        r: { base_url: fake.url, models: MODELS },
        // Nothing listens there: a refused connection before the first token.
        down: { base_url: `http://127.0.0.1:${downPort}/v1`, models: ['m'] },
      },
      { max_retries: 2, retry_after_cap_ms: 2000, idle_timeout_ms: 3000 },
    ),
  })
})

afterAll(async () => {
  await juxta?.close()
  await fake?.close()
})

interface StreamedRun {
  results: TargetResult[]
  retries: Array<{ index: number; attempt: number; wait_ms: number; reason: string }>
}

async function run(targets: string[]): Promise<StreamedRun> {
  const res = await fetch(`${juxta.url}/api/compare`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'hello', targets, stream: true }),
  })
  expect(res.status).toBe(200)
  const frames = await collectSSE(res)
  const done = frames.at(-1)
  expect(done?.event).toBe('done')
  return {
    results: JSON.parse(done!.data).results,
    retries: frames.filter((f) => f.event === 'retry').map((f) => JSON.parse(f.data)),
  }
}

describe('retries before the first token', () => {
  it('429 with Retry-After: retries after the time asked, then fails as rate_limit', async () => {
    const { results, retries } = await run(['r/ra-always'])
    const r = results[0]!
    expect(r.status).toBe('error')
    expect(r.error).toMatchObject({ kind: 'rate_limit', status: 429 })
    expect(r.attempts).toBe(3)
    const reqs = fake.requestsFor('ra-always')
    expect(reqs.length).toBe(3)
    expect(retries.map((x) => [x.attempt, x.wait_ms])).toEqual([
      [2, 1000],
      [3, 1000],
    ])
    // Honoured on the wire: each retry came at least a second after the previous attempt.
    for (let i = 1; i < reqs.length; i++)
      expect(reqs[i]!.receivedAt - reqs[i - 1]!.receivedAt).toBeGreaterThanOrEqual(950)
  })

  it('429 then success → ok on the second attempt', async () => {
    const { results } = await run(['r/ra-then-ok'])
    expect(results[0]).toMatchObject({ status: 'ok', text: 'after retry', attempts: 2, error: null })
    expect(fake.requestsFor('ra-then-ok').length).toBe(2)
  })

  it('prefers retry-after-ms to retry-after', async () => {
    const { results, retries } = await run(['r/ra-ms'])
    expect(results[0]).toMatchObject({ status: 'ok', attempts: 2 })
    expect(retries.map((x) => x.wait_ms)).toEqual([120])
  })

  it('a Retry-After beyond retry_after_cap_ms fails at once instead of waiting', async () => {
    const { results, retries } = await run(['r/ra-too-long'])
    expect(results[0]).toMatchObject({ status: 'error', attempts: 1 })
    expect(results[0]!.error!.kind).toBe('rate_limit')
    expect(results[0]!.timing.total_ms).toBeLessThan(1000)
    expect(retries).toEqual([])
    expect(fake.requestsFor('ra-too-long').length).toBe(1)
  })

  it('500 is retried max_retries times with backoff, then fails as upstream', async () => {
    const { results, retries } = await run(['r/five-hundred-always'])
    expect(results[0]).toMatchObject({ status: 'error', attempts: 3 })
    expect(results[0]!.error).toMatchObject({ kind: 'upstream', status: 500 })
    expect(fake.requestsFor('five-hundred-always').length).toBe(3)
    expect(retries.length).toBe(2)
    // Exponential: the second wait is longer than the first.
    expect(retries[1]!.wait_ms).toBeGreaterThan(retries[0]!.wait_ms)
  })

  it('503 then success → ok, the retry invisible except in attempts', async () => {
    const { results } = await run(['r/five-o-three-then-ok'])
    expect(results[0]).toMatchObject({ status: 'ok', text: 'recovered', attempts: 2, error: null })
    expect(results[0]!.usage.source).toBe('reported')
  })

  it('a refused connection is retried, then fails as network', async () => {
    const { results, retries } = await run(['down/m'])
    expect(results[0]).toMatchObject({ status: 'error', attempts: 3 })
    expect(results[0]!.error!.kind).toBe('network')
    expect(results[0]!.error!.message).toContain('ECONNREFUSED')
    expect(retries.length).toBe(2)
  })

  it('never retries after the first token: a reset after 10 tokens is one attempt, one request', async () => {
    const { results, retries } = await run(['r/reset-mid-stream'])
    expect(results[0]).toMatchObject({ status: 'error', attempts: 1 })
    expect(results[0]!.error!.kind).toBe('network')
    expect(results[0]!.text).toBe('w1 w2 w3 w4 w5 w6 w7 w8 w9 w10')
    expect(retries).toEqual([])
    expect(fake.requestsFor('reset-mid-stream').length).toBe(1)
  })

  it.each([
    ['auth-never-retried', 'auth'],
    ['quota-never-retried', 'quota'],
    ['bad-request-never-retried', 'bad_request'],
    ['html-never-retried', 'upstream'],
  ])('%s: %s is not retried', async (model, kind) => {
    const { results, retries } = await run([`r/${model}`])
    expect(results[0]).toMatchObject({ status: 'error', attempts: 1 })
    expect(results[0]!.error!.kind).toBe(kind)
    expect(retries).toEqual([])
    expect(fake.requestsFor(model).length).toBe(1)
  })
})
