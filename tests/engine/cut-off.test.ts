import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chunk, sseData, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { compareResults, fakeConfig, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'

let upstream: FakeUpstream
let juxta: RunningJuxta

beforeAll(async () => {
  upstream = await startFakeUpstream()
  // Text, then the connection closes cleanly: no finish_reason, no usage, no [DONE].
  upstream.script('cut', {
    kind: 'raw',
    frames: [
      sseData(chunk('cut', { role: 'assistant', content: '' })),
      sseData(chunk('cut', { content: 'The answer is' })),
    ],
  })
  juxta = await startJuxta({ config: fakeConfig({ u: { base_url: upstream.url, models: ['cut', 'text:3'] } }) })
})

afterAll(async () => {
  await juxta?.close()
  await upstream?.close()
})

describe('a stream that stops without finishing', () => {
  it('is an error that keeps the partial text, not a complete answer', async () => {
    const [cut, fine] = await compareResults(juxta.url, 'q', ['u/cut', 'u/text:3'])
    expect(cut!.status).toBe('error')
    expect(cut!.error).toMatchObject({ kind: 'upstream' })
    expect(cut!.error!.message).toContain('cut off')
    expect(cut!.text).toBe('The answer is')
    expect(cut!.attempts).toBe(1) // text was shown: never retried
    expect(fine!.status).toBe('ok')
  })
})
