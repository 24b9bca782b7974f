import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'

let upstream: FakeUpstream
let juxta: RunningJuxta

beforeAll(async () => {
  upstream = await startFakeUpstream()
  upstream.script('quick', { kind: 'text', deltas: ['first', ' words'] })
  juxta = await startJuxta({
    config: fakeConfig({ s: { base_url: upstream.url, models: [{ id: 'quick', price: { input: 1, output: 1 } }] } }),
  })
})

afterAll(async () => {
  await juxta?.close()
  await upstream?.close()
})

describe('live figures on the page stream', () => {
  it("send a column's TTFT with its first text, before its result, not a second later", async () => {
    const form = new URLSearchParams([
      ['prompt', 'Hi'],
      ['targets', 's/quick'],
    ])
    const res = await fetch(`${juxta.url}/runs`, { method: 'POST', body: form, headers: { origin: juxta.url } })
    const stream = await res.text()
    // The whole answer takes milliseconds, far less than the one-second refresh of the live figures.
    const live = stream.indexOf('<hx-partial hx-target="#x0" hx-swap="innerHTML"><dl class="stats live">')
    expect(live).toBeGreaterThan(-1)
    expect(stream.slice(live, stream.indexOf('</hx-partial>', live))).toMatch(/<dt>TTFT<\/dt><dd>[\d.,]+ ms<\/dd>/)
    const result = stream.indexOf('Copy answer')
    expect(result).toBeGreaterThan(live)
  })
})
