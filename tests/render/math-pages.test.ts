import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { openSqliteRunStore, type SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'

// Split mid-formula and mid-block, the way a model streams it.
const DELTAS = ['Inline $E=m', 'c^2$ costs $5 and $10.\n\n$$\n\\frac{a', '}{b}\n$$\n\nEnd $\\frac{1}{$.']

let upstream: FakeUpstream
let juxta: RunningJuxta
let store: SqliteRunStore
let dir: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'juxta-math-pages-'))
  store = openSqliteRunStore(join(dir, 'juxta.db'), { log: () => {} })
  upstream = await startFakeUpstream()
  upstream.script('mathy', { kind: 'text', deltas: DELTAS, everyMs: 20 })
  juxta = await startJuxta({ config: fakeConfig({ p: { base_url: upstream.url, models: ['mathy'] } }), store })
})

afterAll(async () => {
  await juxta?.close()
  await upstream?.close()
  await store?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('math on the pages', () => {
  it('streams completed blocks with MathML, and a stored run shows the same', async () => {
    const res = await fetch(`${juxta.url}/runs`, {
      method: 'POST',
      headers: { origin: juxta.url },
      body: new URLSearchParams([
        ['prompt', 'Show me math'],
        ['targets', 'p/mathy'],
      ]),
    })
    const body = await res.text()
    const runId = body.match(/data-run-id="([^"]+)"/)![1]!
    // Completed blocks arrive rendered: inline and display math, the dollar amounts as text, the broken one as code.
    const rendered = [
      ...body.matchAll(/<hx-partial hx-target="#m0" hx-swap="(?:beforeend|innerHTML)">([\s\S]*?)<\/hx-partial>/g),
    ]
    expect(rendered.length).toBeGreaterThan(0)
    const streamed = rendered.map((m) => m[1]).join('')
    expect(streamed).toContain('<msup><mi>c</mi><mn>2</mn></msup>')
    expect(streamed).toMatch(/<math [^>]*display="block"><semantics><mrow><mfrac>/)
    expect(streamed).toContain('costs $5 and $10.')
    expect(streamed).toContain('<code class="math-error">$\\frac{1}{$</code>')
    // While a block is incomplete it is only escaped text in the tail, never half-rendered math.
    const tails = [...body.matchAll(/hx-target="#t0" hx-swap="(?:beforeend|innerHTML)">([\s\S]*?)<\/hx-partial>/g)]
    expect(tails.length).toBeGreaterThan(0)
    for (const t of tails) expect(t[1]).not.toContain('<math')

    const page = await (await fetch(`${juxta.url}/runs/${runId}`)).text()
    const answer = page.slice(page.indexOf('id="m0"'), page.indexOf('id="t0"'))
    expect(answer).toContain('<msup><mi>c</mi><mn>2</mn></msup>')
    expect(answer).toMatch(/<math [^>]*display="block">/)
    expect(answer).toContain('<code class="math-error">$\\frac{1}{$</code>')
  })
})
