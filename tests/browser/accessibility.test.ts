import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { fakeConfig, startJuxta, type ProviderSpec, type RunningJuxta } from '../helpers/juxta.ts'
import { axeViolations as violations } from '../helpers/browser.ts'
import { closedLoopbackPort } from '../helpers/ports.ts'
import { type BrowserRig, startBrowserRig } from '../helpers/browser-rig.ts'

// axe-core (see axeViolations) on every page, in light and dark, with every fold opened.

const ANSWER =
  '# Plan\n\nSome **bold** text and `inline` code.\n\n```js\nconst aVeryLongLineThatMustScrollInsideItsBlock = ' +
  '"lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore"' +
  '\n```\n\n- one\n- two\n'
const ARTIFACTS = resolve(import.meta.dirname, '../artifacts')
const TOKEN = 'axe-access-token-0123456789abcdef0123'

let rig: BrowserRig
let juxta: RunningJuxta
let guarded: RunningJuxta
let browser: Browser

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true })
  let config: Record<string, unknown> = {}
  rig = await startBrowserRig({
    name: 'axe',
    setup: async (upstream) => {
      upstream.script('quick', { kind: 'text', deltas: ANSWER.match(/[\s\S]{1,12}/g)!, everyMs: 20 })
      upstream.script('slow', { kind: 'text', reasoning: 6, deltas: 60, everyMs: 80 })
      upstream.script('broken', {
        kind: 'status',
        status: 500,
        body: { error: { message: 'upstream exploded', type: 'server_error' } },
      })
      config = fakeConfig({
        alpha: {
          base_url: upstream.url,
          models: [{ id: 'quick', label: 'Alpha Quick', price: { input: 1, output: 2 } }, { id: 'broken' }],
        },
        beta: {
          base_url: upstream.url,
          models: [{ id: 'slow', label: 'Beta Slow', price: { input: 10, output: 30 } }],
        },
        keyless: { base_url: 'https://api.example.invalid/v1', requires_key: true, api_key: undefined, models: ['m'] },
        // Nothing listens there, so the picker folds it as not reachable.
        local: {
          name: 'Ollama (local)',
          base_url: `http://127.0.0.1:${await closedLoopbackPort()}/v1`,
          requires_key: false,
          models: ['llama3.2'],
        } as ProviderSpec,
      })
      return config
    },
  })
  ;({ juxta, browser } = rig)
  await juxta.ctx.reachability.settle(juxta.ctx.catalog().providers, { maxWaitMs: 10_000 })
  guarded = await startJuxta({ config, access: { authToken: TOKEN, allowedHosts: [] } })
})

afterAll(async () => {
  await guarded?.close()
  await rig?.close()
})

describe.each(['light', 'dark'] as const)('zero axe violations, %s colour scheme', (colorScheme) => {
  let page: Page
  beforeAll(async () => {
    page = await browser.newPage({ colorScheme, viewport: { width: 1280, height: 900 } })
  })
  afterAll(async () => {
    await page?.close()
  })

  it('compare page: empty, while streaming, and done', async () => {
    const found: Record<string, string[]> = {}
    await page.goto(juxta.url)
    await page.waitForSelector('#estimate:not(:empty)')
    expect(await page.locator('details.unreachable fieldset[data-provider="local"]').count()).toBe(1)
    found.empty = await violations(page)

    await page.fill('#prompt', 'Plan a trip')
    for (const t of ['alpha/quick', 'alpha/broken', 'beta/slow']) await page.check(`input[value="${t}"]`)
    await page.click('button.send')
    await page.waitForSelector('[data-target="alpha/quick"] .status-ok', { timeout: 15_000 })
    await page.waitForSelector('[data-target="beta/slow"] .status-running')
    await page.screenshot({ path: join(ARTIFACTS, `axe-streaming-${colorScheme}.png`), fullPage: true })
    found.streaming = await violations(page)
    expect(await page.locator('[data-target="beta/slow"] .status-running').count()).toBe(1)

    await page.waitForSelector('#summary table', { timeout: 20_000 })
    await page.screenshot({ path: join(ARTIFACTS, `axe-done-${colorScheme}.png`), fullPage: true })
    found.done = await violations(page)
    expect(found).toEqual({ empty: [], streaming: [], done: [] })
  })

  it('reaches a code block that scrolls with the keyboard, shows its focus and scrolls it with arrows', async () => {
    // Continues on the finished run above: Shift+Tab from the column's first control after the answer.
    const pre = page.locator('[data-target="alpha/quick"] .answer pre')
    expect(await pre.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true)
    await page.focus('[data-target="alpha/quick"] .col-actions button, [data-target="alpha/quick"] .col-actions a')
    await page.keyboard.press('Shift+Tab')
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('PRE')
    const ring = await pre.evaluate((el) => {
      const s = getComputedStyle(el)
      return { style: s.outlineStyle, width: s.outlineWidth }
    })
    expect(ring).toEqual({ style: 'solid', width: '3px' })
    await page.keyboard.press('ArrowRight')
    await page.keyboard.press('ArrowRight')
    // Keyboard scrolling is animated: wait for it to move rather than read it at once.
    await page.waitForFunction(
      () => document.querySelector('[data-target="alpha/quick"] .answer pre')!.scrollLeft > 0,
      null,
      { timeout: 5000 },
    )
  })

  it('history, a stored run, spend and settings', async () => {
    const found: Record<string, string[]> = {}
    await page.goto(`${juxta.url}/history`)
    found.history = await violations(page)
    const href = await page.$eval('a[href^="/runs/"]', (a) => a.getAttribute('href'))
    await page.goto(`${juxta.url}${href}`)
    await page.screenshot({ path: join(ARTIFACTS, `axe-run-${colorScheme}.png`), fullPage: true })
    found.run = await violations(page)
    await page.goto(`${juxta.url}/spend`)
    found.spend = await violations(page)
    await page.goto(`${juxta.url}/settings`)
    await page.screenshot({ path: join(ARTIFACTS, `axe-settings-${colorScheme}.png`), fullPage: true })
    found.settings = await violations(page)
    await page.goto(`${juxta.url}/no-such-page`)
    found.notFound = await violations(page)
    expect(found).toEqual({ history: [], run: [], spend: [], settings: [], notFound: [] })
  })

  it('login page, with an access token configured', async () => {
    await page.goto(`${guarded.url}/`)
    expect(await page.locator('input[type="password"]').count()).toBe(1)
    expect(await violations(page)).toEqual([])
  })
})
