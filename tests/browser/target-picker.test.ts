import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { closedLoopbackPort } from '../helpers/ports.ts'
import { join, resolve } from 'node:path'
import type { Browser } from 'playwright-core'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, startJuxta, type ProviderSpec, type RunningJuxta } from '../helpers/juxta.ts'
import { axeViolations, launchBrowser, watchedPage } from '../helpers/browser.ts'

const ARTIFACTS = resolve(import.meta.dirname, '../artifacts')

let upstream: FakeUpstream
let juxta: RunningJuxta
let browser: Browser
let port = 0
let ollama: Server | undefined

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true })
  upstream = await startFakeUpstream()
  // A port nothing listens on yet: "Ollama" is not started.
  port = await closedLoopbackPort()
  juxta = await startJuxta({
    config: fakeConfig({
      cloud: { base_url: upstream.url, models: ['c1'] },
      ollama: {
        name: 'Ollama (local)',
        base_url: `http://127.0.0.1:${port}/v1`,
        requires_key: false,
        models: ['llama3.2'],
      } as ProviderSpec,
      keyless: { base_url: 'https://api.example.invalid/v1', requires_key: true, api_key: undefined, models: ['k1'] },
    }),
  })
  await juxta.ctx.reachability.settle(juxta.ctx.catalog().providers, { maxWaitMs: 10_000 })
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
  ollama?.closeAllConnections()
  await new Promise<void>((done) => (ollama ? ollama.close(() => done()) : done()))
  await juxta?.close()
  await upstream?.close()
})

describe('local servers in the target picker', () => {
  it('folds a local server that does not answer, says why, and offers it once "check again" finds it', async () => {
    const { page, watch } = await watchedPage(browser, juxta.url)
    await page.goto(juxta.url)
    // Not among the ready providers; folded with the reason, its box disabled.
    expect(await page.locator('fieldset.provider[data-provider="ollama"]').count()).toBe(1)
    expect(await page.locator('details.unreachable fieldset[data-provider="ollama"]').count()).toBe(1)
    const summary = page.locator('details.unreachable > summary')
    expect(await summary.textContent()).toBe('1 local server is not reachable (Ollama (local))')
    await summary.click()
    expect(await page.locator('details.unreachable .reach-reason').textContent()).toBe(
      `not reachable at http://127.0.0.1:${port} — start Ollama (connection failed: ECONNREFUSED)`,
    )
    expect(await page.locator('input[value="ollama/llama3.2"]').isDisabled()).toBe(true)
    await page.check('input[value="cloud/c1"]')
    await page.screenshot({ path: join(ARTIFACTS, 'picker-unreachable.png') })
    expect(await axeViolations(page)).toEqual([])

    // "Ollama" starts; the person asks again.
    ollama = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'llama3.2', object: 'model' }] }))
    })
    await new Promise<void>((done) => ollama!.listen(port, '127.0.0.1', done))
    await page.click('button.recheck')
    await page.waitForSelector('fieldset.provider.ready[data-provider="ollama"]')
    // The answer takes the focus (the button that asked is gone), so it is read out.
    await page.waitForFunction(() => document.activeElement?.classList.contains('recheck-result'))
    expect(await page.locator('.recheck-result').textContent()).toBe('Checked just now: every local server answers.')
    expect(await page.locator('details.unreachable').count()).toBe(0)
    expect(await page.locator('input[value="ollama/llama3.2"]').isDisabled()).toBe(false)
    expect(await page.locator('input[value="cloud/c1"]').isChecked()).toBe(true)
    expect(await page.locator('fieldset[data-provider="ollama"] .reach-ok').textContent()).toBe('running')
    // Providers that need a key stay folded as before.
    expect(await page.locator('details.needs-key fieldset[data-provider="keyless"]').count()).toBe(1)
    await page.screenshot({ path: join(ARTIFACTS, 'picker-rechecked.png') })
    expect(await axeViolations(page)).toEqual([])
    expect(watch.errors).toEqual([])
    await page.close()
  })
})
