import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { compareResults, fakeConfig, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'

// DeepSeek keeps a queued streaming request alive with `: keep-alive` comments, for minutes at worst. The
// idle timeout is about a silent connection, so those comments count as life; a truly silent one still
// times out.
let upstream: FakeUpstream
let juxta: RunningJuxta

beforeAll(async () => {
  upstream = await startFakeUpstream()
  upstream.script('queued', {
    kind: 'text',
    keepAlive: { count: 12, everyMs: 100, comment: 'keep-alive' },
    deltas: ['finally', ' here'],
  })
  juxta = await startJuxta({
    config: fakeConfig(
      { d: { base_url: upstream.url, models: ['queued', 'fault:silence'] } },
      { idle_timeout_ms: 500 },
    ),
  })
})

afterAll(async () => {
  await juxta?.close()
  await upstream?.close()
})

describe('the idle timeout', () => {
  it('is kept at bay by keep-alive comments longer than the timeout itself', async () => {
    const [queued, silent] = await compareResults(juxta.url, 'wait for it', ['d/queued', 'd/fault:silence'])
    expect(queued!.status).toBe('ok')
    expect(queued!.text).toBe('finally here')
    // 1.2 s of comments before the first token, with a 500 ms idle timeout.
    expect(queued!.timing.ttft_ms).toBeGreaterThan(1000)
    expect(silent!.status).toBe('timeout')
    expect(silent!.error?.message).toContain('idle timeout')
  })
})
