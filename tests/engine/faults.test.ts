import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeUpstream, waitFor, words, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { TEST_KEY, fakeConfig, postCompare, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import type { TargetResult } from '../../src/domain/types.ts'

// Each upstream fault fails only its own column, with the right status and error kind.

const HEALTHY = 'f/fixture:openai_gpt-4o-mini_stream_include-usage.sse'
const FAULTS = [
  'fault:401',
  'fault:402',
  'fixture:openrouter_429_upstream-rate-limited.json',
  'fault:500',
  'fault:503',
  'fault:malformed-json',
  'fault:stream-error-openrouter',
  'fault:stream-error-groq',
  'fault:reset',
  'fault:silence',
  'fault:endless-deltas',
  'fault:endless-ping',
  'fault:keepalive',
  'fixture:openai_400_unsupported-parameter.json',
  'fixture:openai_gpt-4.1-nano_nonstream.json',
]

let fake: FakeUpstream
let juxta: RunningJuxta

beforeAll(async () => {
  fake = await startFakeUpstream()
  juxta = await startJuxta({
    config: fakeConfig(
      { f: { base_url: fake.url, models: ['fixture:openai_gpt-4o-mini_stream_include-usage.sse', ...FAULTS] } },
      { max_retries: 0, idle_timeout_ms: 400, deadline_ms: 1500 },
    ),
  })
})

afterAll(async () => {
  await juxta?.close()
  await fake?.close()
})

function expectHealthy(r: TargetResult | undefined): void {
  expect(r?.target).toBe(HEALTHY)
  expect(r?.status).toBe('ok')
  expect(r?.error).toBeNull()
  expect(r?.text).toBe('The capital of the UK is London.')
  expect(r?.usage).toEqual({
    input_tokens: 78,
    cached_input_tokens: 0,
    output_tokens: 9,
    reasoning_tokens: 0,
    source: 'reported',
  })
}

/** Runs [healthy, fault] in one compare; returns the fault's result and the raw response text. */
async function withHealthySibling(fault: string): Promise<{ r: TargetResult; raw: string }> {
  const res = await postCompare(juxta.url, {
    prompt: 'What is the capital of the UK?',
    targets: [HEALTHY, `f/${fault}`],
  })
  expect(res.status).toBe(200)
  const results = res.body.results as TargetResult[]
  expectHealthy(results[0])
  return { r: results[1]!, raw: res.text }
}

describe('fault isolation', () => {
  it('401 → auth, and the key echoed by the upstream never reaches the response or the logs', async () => {
    const { r, raw } = await withHealthySibling('fault:401')
    expect(r.status).toBe('error')
    expect(r.error).toMatchObject({ kind: 'auth', status: 401 })
    expect(r.error!.message).toMatch(/^authentication failed \(401\)/)
    // The upstream did get (and echo) the key, so the absence below is redaction, not luck.
    expect(fake.requestsFor('fault:401')[0]?.headers.authorization).toBe(`Bearer ${TEST_KEY}`)
    expect(raw).not.toContain(TEST_KEY)
    expect(raw).not.toContain(TEST_KEY.slice(-12))
    expect(juxta.logs.join('\n')).not.toContain(TEST_KEY)
    expect(r.attempts).toBe(1)
  })

  it('402 (recorded DeepSeek body) → quota', async () => {
    const { r } = await withHealthySibling('fault:402')
    expect(r.status).toBe('error')
    expect(r.error).toMatchObject({ kind: 'quota', status: 402 })
    expect(r.error!.message).toContain('Insufficient Balance')
    expect(r.usage.source).toBe('none')
    expect(r.text).toBe('')
  })

  it('429 (recorded OpenRouter body, numeric error.code) → rate_limit', async () => {
    const { r } = await withHealthySibling('fixture:openrouter_429_upstream-rate-limited.json')
    expect(r.status).toBe('error')
    expect(r.error).toMatchObject({ kind: 'rate_limit', status: 429 })
    expect(r.error!.message).toContain('Provider returned error')
  })

  it('400 (recorded OpenAI unsupported parameter) → bad_request with the upstream message', async () => {
    const { r } = await withHealthySibling('fixture:openai_400_unsupported-parameter.json')
    expect(r.status).toBe('error')
    expect(r.error).toMatchObject({ kind: 'bad_request', status: 400 })
    expect(r.error!.message).toContain("Unsupported parameter: 'max_tokens'")
  })

  it.each(['fault:500', 'fault:503'])('%s → upstream', async (fault) => {
    const { r } = await withHealthySibling(fault)
    expect(r.status).toBe('error')
    expect(r.error).toMatchObject({ kind: 'upstream', status: Number(fault.slice(-3)) })
  })

  it('malformed JSON in a data line → upstream, keeping the text before it', async () => {
    const { r } = await withHealthySibling('fault:malformed-json')
    expect(r.status).toBe('error')
    expect(r.error).toMatchObject({ kind: 'upstream', status: null })
    expect(r.error!.message).toMatch(/malformed|invalid JSON/i)
    expect(r.text).toBe('w1 w2')
  })

  it('OpenRouter-style error chunk inside an HTTP 200 stream → upstream, partial text kept', async () => {
    const { r } = await withHealthySibling('fault:stream-error-openrouter')
    expect(r.status).toBe('error')
    expect(r.error).toMatchObject({ kind: 'upstream', status: null })
    expect(r.error!.message).toContain('Upstream provider returned an error mid-stream')
    expect(r.text).toBe('w1 w2 w3')
    expect(r.usage.source).toBe('estimated')
  })

  it('Groq-style `event: error` inside an HTTP 200 stream → upstream', async () => {
    const { r } = await withHealthySibling('fault:stream-error-groq')
    expect(r.status).toBe('error')
    expect(r.error).toMatchObject({ kind: 'upstream', status: null })
    expect(r.error!.message).toContain('Tool call validation failed')
    expect(r.text).toBe('w1 w2 w3')
  })

  it('connection reset after 10 tokens → network, the 10 tokens kept', async () => {
    const { r } = await withHealthySibling('fault:reset')
    expect(r.status).toBe('error')
    expect(r.error).toMatchObject({ kind: 'network', status: null })
    expect(r.text).toBe(words(10).join(''))
    expect(r.finish_reason).toBeNull()
    expect(r.usage.source).toBe('estimated')
  })

  it('headers then silence → timeout after idle_timeout_ms', async () => {
    const { r } = await withHealthySibling('fault:silence')
    expect(r.status).toBe('timeout')
    expect(r.error).toMatchObject({ kind: 'timeout', status: null })
    expect(r.error!.message).toContain('idle')
    expect(r.timing.total_ms).toBeGreaterThanOrEqual(380)
    expect(r.timing.total_ms).toBeLessThan(1400)
  })

  it('a JSON completion where a stream was asked for → upstream error, not an empty "ok"', async () => {
    const { r } = await withHealthySibling('fixture:openai_gpt-4.1-nano_nonstream.json')
    expect(r.status).toBe('error')
    expect(r.error).toMatchObject({ kind: 'upstream', status: 200 })
    expect(r.error!.message).toContain('without stream events')
  })

  it('a stream that never ends → timeout at deadline_ms, text so far kept', async () => {
    const { r } = await withHealthySibling('fault:endless-deltas')
    expect(r.status).toBe('timeout')
    expect(r.error!.kind).toBe('timeout')
    expect(r.error!.message).toContain('deadline')
    expect(r.text.length).toBeGreaterThan(0)
    expect(r.timing.total_ms).toBeGreaterThanOrEqual(1450)
    expect(r.timing.total_ms).toBeLessThan(3000)
  })

  it('a stream of nothing but `: ping` comments → timeout', async () => {
    const { r } = await withHealthySibling('fault:endless-ping')
    expect(r.status).toBe('timeout')
    expect(r.error!.kind).toBe('timeout')
    expect(r.text).toBe('')
  })

  it('keep-alive comments before the first token → ok, TTFT from the first real delta', async () => {
    const { r } = await withHealthySibling('fault:keepalive')
    expect(r.status).toBe('ok')
    expect(r.text).toBe('w1 w2 w3 w4 w5')
    // Five comments 30 ms apart come first; a TTFT below that would be counting the comments.
    expect(r.timing.ttft_ms).toBeGreaterThanOrEqual(140)
  })

  it('closes every upstream connection it opened for the timed-out targets', async () => {
    await withHealthySibling('fault:silence')
    // Aborted streams must not linger on the fake (keep-alive sockets of finished requests may stay pooled).
    expect(await waitFor(() => fake.requests.every((q) => q.closedAt !== null), 1000)).toBe(true)
  })

  it('all faults at once: every column gets its own outcome and the healthy ones are unharmed', async () => {
    const targets = [HEALTHY, ...FAULTS.map((f) => `f/${f}`)]
    const res = await postCompare(juxta.url, { prompt: 'What is the capital of the UK?', targets })
    expect(res.status).toBe(200)
    const results = res.body.results as TargetResult[]
    expect(results.map((r) => r.target)).toEqual(targets)
    expectHealthy(results[0])
    const kinds = Object.fromEntries(results.slice(1).map((r) => [r.target.slice(2), r.error?.kind ?? r.status]))
    expect(kinds).toEqual({
      'fault:401': 'auth',
      'fault:402': 'quota',
      'fixture:openrouter_429_upstream-rate-limited.json': 'rate_limit',
      'fault:500': 'upstream',
      'fault:503': 'upstream',
      'fault:malformed-json': 'upstream',
      'fault:stream-error-openrouter': 'upstream',
      'fault:stream-error-groq': 'upstream',
      'fault:reset': 'network',
      'fault:silence': 'timeout',
      'fault:endless-deltas': 'timeout',
      'fault:endless-ping': 'timeout',
      'fault:keepalive': 'ok',
      'fixture:openai_400_unsupported-parameter.json': 'bad_request',
      'fixture:openai_gpt-4.1-nano_nonstream.json': 'upstream',
    })
    expect(res.text).not.toContain(TEST_KEY)
  })
})
