import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import { closedLoopbackPort } from '../helpers/ports.ts'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, startJuxta, type ProviderSpec, type RunningJuxta } from '../helpers/juxta.ts'

let upstream: FakeUpstream
let juxta: RunningJuxta
let closedPort = 0
let late: Server | undefined

beforeAll(async () => {
  upstream = await startFakeUpstream()
  closedPort = await closedLoopbackPort()
  juxta = await startJuxta({
    config: fakeConfig({
      cloud: { base_url: upstream.url, models: ['c1'] },
      running: { base_url: upstream.url, requires_key: false, models: ['llama3.2'] },
      // Named as in the default config.
      ollama: {
        name: 'Ollama (local)',
        base_url: `http://127.0.0.1:${closedPort}/v1`,
        requires_key: false,
        models: ['qwen3'],
      } as ProviderSpec,
    }),
  })
  // As src/server.ts does at start: the first check runs before anyone opens the page.
  await juxta.ctx.reachability.settle(juxta.ctx.catalog().providers, { maxWaitMs: 10_000 })
})

afterAll(async () => {
  late?.closeAllConnections()
  await new Promise<void>((resolve) => (late ? late.close(() => resolve()) : resolve()))
  await juxta?.close()
  await upstream?.close()
})

const page = async () => (await fetch(`${juxta.url}/`)).text()
const fold = (html: string) => {
  const start = html.indexOf('<details class="unreachable"')
  return start === -1
    ? { ready: html, folded: '' }
    : { ready: html.slice(0, start), folded: html.slice(start, html.indexOf('</details>', start)) }
}

describe('local servers on the compare page', () => {
  it('offers a local server that answers as ready and folds one that does not, with the reason', async () => {
    const html = await page()
    const { ready, folded } = fold(html)
    expect(ready).toMatch(/<fieldset class="provider ready" data-provider="running" data-reachable="true">/)
    expect(ready).toMatch(/<fieldset class="provider ready" data-provider="cloud">/)
    expect(ready).not.toContain('data-provider="ollama"')
    expect(folded).toContain('1 local server is not reachable (Ollama (local))')
    expect(folded).toContain(
      `not reachable at http://127.0.0.1:${closedPort} — start Ollama (connection failed: ECONNREFUSED)`,
    )
    expect(folded).toMatch(/<input type="checkbox" name="targets" value="ollama\/qwen3" disabled=""\/>/)
    expect(folded).toContain('hx-post="/targets/check"')
  })

  it('says the same in GET /api/targets', async () => {
    const targets = (await (await fetch(`${juxta.url}/api/targets`)).json()) as Array<Record<string, unknown>>
    const by = Object.fromEntries(targets.map((t) => [t.target, t]))
    expect(by['running/llama3.2']).toMatchObject({ reachable: true, unreachable_reason: null })
    expect(by['cloud/c1']).toMatchObject({ reachable: null, unreachable_reason: null })
    expect(by['ollama/qwen3']).toMatchObject({ reachable: false })
    expect(String(by['ollama/qwen3']!.unreachable_reason)).toMatch(
      /^not reachable at http:\/\/127\.0\.0\.1:\d+ — start Ollama/,
    )
  })

  it('"check again" finds a server started since, and keeps the selection', async () => {
    late = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ object: 'list', data: [] }))
    })
    await new Promise<void>((resolve) => late!.listen(closedPort, '127.0.0.1', resolve))
    const res = await fetch(`${juxta.url}/targets/check`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'prompt=&targets=running%2Fllama3.2&targets=cloud%2Fc1',
    })
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html.startsWith('<fieldset class="targets" id="targets">')).toBe(true)
    expect(html).not.toContain('class="unreachable"')
    expect(html).toContain('Checked just now: every local server answers.')
    expect(html).toMatch(/<fieldset class="provider ready" data-provider="ollama" data-reachable="true">/)
    expect(html).toMatch(/value="running\/llama3.2" checked=""/)
    expect(html).toMatch(/value="cloud\/c1" checked=""/)
    expect(html).toMatch(/value="ollama\/qwen3"(?! checked)(?! disabled)/)
  })
})
