import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { compareResults, fakeConfig, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'

// Learned request quirks: an endpoint that rejects a field gets one retry without it, and never sees it again.

let legacy: FakeUpstream
let modern: FakeUpstream
let juxta: RunningJuxta

beforeAll(async () => {
  legacy = await startFakeUpstream()
  modern = await startFakeUpstream()
  legacy.script('old-server', {
    kind: 'reject-stream-options',
    otherwise: { kind: 'text', deltas: ['Hello', ' world'] },
  })
  modern.script('reasoner', {
    kind: 'sequence',
    steps: [
      { kind: 'fixture', file: 'openai_400_unsupported-parameter.json' },
      { kind: 'text', deltas: ['ok'] },
    ],
  })
  modern.script('always-400', { kind: 'fixture', file: 'openai_400_unsupported-parameter.json' })
  modern.script('plain', { kind: 'text', deltas: ['fine'] })
  juxta = await startJuxta({
    config: fakeConfig({
      legacy: { base_url: legacy.url, models: ['old-server'] },
      modern: { base_url: modern.url, models: ['reasoner', 'always-400', 'plain'] },
    }),
  })
})

afterAll(async () => {
  await juxta?.close()
  await legacy?.close()
  await modern?.close()
})

describe('stream_options rejected', () => {
  it('retries once without stream_options and succeeds', async () => {
    const [r] = await compareResults(juxta.url, 'hi', ['legacy/old-server', 'modern/plain'])
    expect(r).toMatchObject({ status: 'ok', text: 'Hello world', error: null })
    const reqs = legacy.requestsFor('old-server')
    expect(reqs.length).toBe(2)
    expect(reqs[0]!.body).toHaveProperty('stream_options')
    expect(reqs[1]!.body).not.toHaveProperty('stream_options')
    // Without include_usage this server reports nothing: the counts are Juxta's estimate, flagged as such.
    expect(r!.usage.source).toBe('estimated')
  })

  it('remembers it: the next run sends one request, without stream_options', async () => {
    const before = legacy.requestsFor('old-server').length
    const [r] = await compareResults(juxta.url, 'hi again', ['legacy/old-server'])
    expect(r!.status).toBe('ok')
    const reqs = legacy.requestsFor('old-server').slice(before)
    expect(reqs.length).toBe(1)
    expect(reqs[0]!.body).not.toHaveProperty('stream_options')
  })

  it('keeps sending stream_options to other endpoints', async () => {
    await compareResults(juxta.url, 'hi', ['modern/plain'])
    expect(modern.requestsFor('plain').at(-1)!.body.stream_options).toEqual({ include_usage: true })
  })
})

describe('max_tokens rejected in favour of max_completion_tokens', () => {
  it('retries with max_completion_tokens and remembers it for the model', async () => {
    const [r] = await compareResults(juxta.url, 'hi', ['modern/reasoner'], { max_tokens: 50 })
    expect(r).toMatchObject({ status: 'ok', text: 'ok' })
    const [first, second] = modern.requestsFor('reasoner')
    expect(first!.body.max_tokens).toBe(50)
    expect(second!.body.max_completion_tokens).toBe(50)
    expect(second!.body).not.toHaveProperty('max_tokens')
    await compareResults(juxta.url, 'hi', ['modern/reasoner'], { max_tokens: 60 })
    const third = modern.requestsFor('reasoner')[2]!
    expect(third.body.max_completion_tokens).toBe(60)
    expect(third.body).not.toHaveProperty('max_tokens')
    expect(modern.requestsFor('reasoner').length).toBe(3)
  })

  it('a 400 about a field that was not sent is reported as it is, without a pointless retry', async () => {
    const [r] = await compareResults(juxta.url, 'hi', ['modern/always-400'])
    expect(r!.status).toBe('error')
    expect(r!.error).toMatchObject({ kind: 'bad_request', status: 400 })
    expect(modern.requestsFor('always-400').length).toBe(1)
  })

  it('a repeated rejection after learning ends as bad_request (no retry loop)', async () => {
    const before = modern.requestsFor('always-400').length
    const [r] = await compareResults(juxta.url, 'hi', ['modern/always-400'], { max_tokens: 5 })
    expect(r!.error).toMatchObject({ kind: 'bad_request', status: 400 })
    // One rejected request with max_tokens, one with max_completion_tokens, then it gives up.
    expect(modern.requestsFor('always-400').length - before).toBe(2)
  })
})
