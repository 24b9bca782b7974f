import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { compareResults, fakeConfig, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'

// Targets run side by side: the slowest one sets the pace, not their sum.

let fake: FakeUpstream
let juxta: RunningJuxta

beforeAll(async () => {
  fake = await startFakeUpstream()
  // About 300 ms each, mostly in one timer so that a busy machine adds little lateness.
  for (const m of ['a', 'b', 'c']) fake.script(m, { kind: 'text', firstDelayMs: 270, deltas: 4, everyMs: 10 })
  fake.script('warm', { kind: 'text', deltas: 1 })
  juxta = await startJuxta({ config: fakeConfig({ p: { base_url: fake.url, models: ['a', 'b', 'c', 'warm'] } }) })
  // Connection set-up and first-use costs are not what this file measures.
  await compareResults(juxta.url, 'warm up', ['p/warm'])
})

afterAll(async () => {
  await juxta?.close()
  await fake?.close()
})

describe('parallel targets', () => {
  it('runs three ~300 ms targets side by side: every request is sent before any answer is done', async () => {
    const before = fake.requests.length
    const results = await compareResults(juxta.url, 'go', ['p/a', 'p/b', 'p/c'])
    for (const r of results) {
      expect(r.status).toBe('ok')
      expect(r.text).toBe('w1 w2 w3 w4')
      // Each one really took about 300 ms, so one after another they would take ~900 ms.
      expect(r.timing.total_ms).toBeGreaterThanOrEqual(280)
    }
    // Overlap, not speed: the upstream holds each answer 270 ms before its first byte, so the three requests
    // arriving within that span means none waited for another to finish.
    const starts = fake.requests.slice(before).map((r) => r.receivedAt)
    expect(starts).toHaveLength(3)
    expect(Math.max(...starts) - Math.min(...starts)).toBeLessThan(270)
  })
})
