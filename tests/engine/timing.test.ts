import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { compareResults, fakeConfig, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { collectSSE } from '../helpers/sse.ts'

// What ttft_ms, first_answer_ms and output_tokens_per_s mean, against a paced upstream. Rough bounds only.

let fake: FakeUpstream
let juxta: RunningJuxta

beforeAll(async () => {
  fake = await startFakeUpstream()
  // Role chunk at once; reasoning from ~100 ms (5 deltas, 10 ms apart); answer from ~200 ms (10 deltas, 10 ms apart).
  fake.script('paced-thinker', {
    kind: 'text',
    firstDelayMs: 100,
    reasoning: 5,
    everyMs: 10,
    answerDelayMs: 60,
    deltas: 10,
  })
  fake.script('paced-plain', { kind: 'text', firstDelayMs: 100, everyMs: 10, deltas: 10 })
  fake.script('one-token', { kind: 'text', firstDelayMs: 20, deltas: ['Yes'] })
  fake.script('warm', { kind: 'text', deltas: 1 })
  juxta = await startJuxta({
    config: fakeConfig({ t: { base_url: fake.url, models: ['paced-thinker', 'paced-plain', 'one-token', 'warm'] } }),
  })
  await compareResults(juxta.url, 'warm up', ['t/warm'])
})

afterAll(async () => {
  await juxta?.close()
  await fake?.close()
})

describe('timing semantics', () => {
  it('ttft is the first reasoning delta, first_answer the first answer delta, in that order', async () => {
    const [r] = await compareResults(juxta.url, 'think', ['t/paced-thinker'])
    const t = r!.timing
    expect(r!.usage.output_tokens).toBe(15)
    // Not the headers or the role-only chunk (both at ~0 ms): the first reasoning text at ~100 ms.
    expect(t.ttft_ms).toBeGreaterThanOrEqual(95)
    expect(t.ttft_ms).toBeLessThan(400)
    expect(t.first_answer_ms).toBeGreaterThanOrEqual(195)
    expect(t.first_answer_ms! - t.ttft_ms!).toBeGreaterThanOrEqual(80)
    expect(t.total_ms).toBeGreaterThanOrEqual(t.first_answer_ms! + 80)
    // 14 tokens after the first over ~190 ms of decoding: about 74 tok/s (TTFT excluded).
    expect(t.output_tokens_per_s).toBeGreaterThan(20)
    expect(t.output_tokens_per_s).toBeLessThan(150)
  })

  it('without reasoning, ttft and first_answer are the same moment', async () => {
    const [r] = await compareResults(juxta.url, 'plain', ['t/paced-plain'])
    expect(r!.timing.ttft_ms).toBe(r!.timing.first_answer_ms)
    expect(r!.timing.ttft_ms).toBeGreaterThanOrEqual(95)
    // 9 tokens after the first over ~90 ms.
    expect(r!.timing.output_tokens_per_s).toBeGreaterThan(25)
    expect(r!.timing.output_tokens_per_s).toBeLessThan(250)
  })

  it('has no decode rate for a one-token answer', async () => {
    const [r] = await compareResults(juxta.url, 'yes?', ['t/one-token'])
    expect(r!.usage.output_tokens).toBe(1)
    expect(r!.timing.ttft_ms).not.toBeNull()
    expect(r!.timing.output_tokens_per_s).toBeNull()
  })

  it('has no ttft and no rate when nothing was streamed', async () => {
    fake.script('refused', { kind: 'status', status: 401 })
    const juxta2 = await startJuxta({ config: fakeConfig({ t: { base_url: fake.url, models: ['refused'] } }) })
    try {
      const [r] = await compareResults(juxta2.url, 'x', ['t/refused'])
      expect(r!.timing.ttft_ms).toBeNull()
      expect(r!.timing.first_answer_ms).toBeNull()
      expect(r!.timing.output_tokens_per_s).toBeNull()
      expect(r!.timing.total_ms).toBeGreaterThan(0)
    } finally {
      await juxta2.close()
    }
  })

  it('the streamed first-token event carries the same ttft as the result', async () => {
    const res = await fetch(`${juxta.url}/api/compare`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'think', targets: ['t/paced-thinker'], stream: true }),
    })
    const frames = await collectSSE(res)
    const first = frames.find((f) => f.event === 'first-token')
    const done = frames.find((f) => f.event === 'done')
    expect(first).toBeDefined()
    const ttft = JSON.parse(first!.data).ttft_ms as number
    const result = JSON.parse(done!.data).results[0]
    expect(result.timing.ttft_ms).toBeCloseTo(ttft, 0)
    // The first-token event comes before the first delta event.
    expect(frames.findIndex((f) => f.event === 'first-token')).toBeLessThan(
      frames.findIndex((f) => f.event === 'delta'),
    )
  })
})
