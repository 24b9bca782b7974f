import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import axe from 'axe-core'
import type { Browser, Page } from 'playwright-core'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, startJuxta, type ProviderSpec, type RunningJuxta } from '../helpers/juxta.ts'
import { launchBrowser } from '../helpers/browser.ts'
import { openSqliteRunStore, type SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'

/**
 * axe-core with the rules it enables by default (WCAG 2 A/AA and best practices) on every page, in light and
 * dark. axe's source is evaluated through the DevTools protocol (page.evaluate), which the page's CSP does not
 * govern, so the pages are checked under their real, strict CSP.
 */
const ANSWER = '# Plan\n\nSome **bold** text and `inline` code.\n\n```js\nconst aVeryLongLineThatMustScrollInsideItsBlock = ' +
  '"lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore"\n```\n\n- one\n- two\n'
const ARTIFACTS = resolve(import.meta.dirname, '../artifacts')
const TOKEN = 'axe-access-token-0123456789abcdef0123'

let upstream: FakeUpstream
let juxta: RunningJuxta
let guarded: RunningJuxta
let browser: Browser
let store: SqliteRunStore
let dir: string

interface Violation { id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[]; failureSummary?: string }> }

/** Every violation on the page, one line per element, so a failure names what to fix; and the h1 count. */
async function violations(page: Page): Promise<string[]> {
  // Folded parts (reasoning, providers that need a key, options) are checked opened too.
  await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true }))
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axe.source)
  const result = await page.evaluate(async () => {
    const w = window as unknown as { axe: { run: (ctx: Document) => Promise<{ violations: unknown[] }> } }
    return (await w.axe.run(document)).violations
  }) as Violation[]
  const h1s = await page.locator('h1').count()
  return [
    ...result.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}) ${JSON.stringify(n.target)}: ${n.failureSummary ?? v.help}`)),
    // axe only asks for at least one; every page here has exactly one.
    ...(h1s === 1 ? [] : [`${h1s} h1 elements; every page has exactly one`]),
  ]
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true })
  dir = mkdtempSync(join(tmpdir(), 'juxta-axe-'))
  store = openSqliteRunStore(join(dir, 'juxta.db'), { log: () => {} })
  upstream = await startFakeUpstream()
  upstream.script('quick', { kind: 'text', deltas: ANSWER.match(/[\s\S]{1,12}/g)!, everyMs: 20 })
  upstream.script('slow', { kind: 'text', reasoning: 6, deltas: 60, everyMs: 80 })
  upstream.script('broken', { kind: 'status', status: 500, body: { error: { message: 'upstream exploded', type: 'server_error' } } })
  const config = fakeConfig({
    alpha: { base_url: upstream.url, models: [{ id: 'quick', label: 'Alpha Quick', price: { input: 1, output: 2 } }, { id: 'broken' }] },
    beta: { base_url: upstream.url, models: [{ id: 'slow', label: 'Beta Slow', price: { input: 10, output: 30 } }] },
    keyless: { base_url: 'https://api.example.invalid/v1', requires_key: true, api_key: undefined, models: ['m'] },
    // Port 9 (discard) on loopback: nothing listens, so the picker folds it as not reachable.
    local: { name: 'Ollama (local)', base_url: 'http://127.0.0.1:9/v1', requires_key: false, models: ['llama3.2'] } as ProviderSpec,
  })
  juxta = await startJuxta({ config, store })
  await juxta.ctx.reachability.settle(juxta.ctx.catalog().providers, { maxWaitMs: 10_000 })
  guarded = await startJuxta({ config, access: { authToken: TOKEN, allowedHosts: [] } })
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
  await juxta?.close()
  await guarded?.close()
  await upstream?.close()
  await store?.close()
  rmSync(dir, { recursive: true, force: true })
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

  it('reaches a code block that scrolls with the keyboard, shows its focus and scrolls it with the arrows', async () => {
    // Continues on the finished run above: Shift+Tab from the column's first control after the answer.
    const pre = page.locator('[data-target="alpha/quick"] .answer pre')
    expect(await pre.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true)
    await page.focus('[data-target="alpha/quick"] .col-actions button, [data-target="alpha/quick"] .col-actions a')
    await page.keyboard.press('Shift+Tab')
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('PRE')
    const ring = await pre.evaluate((el) => { const s = getComputedStyle(el); return { style: s.outlineStyle, width: s.outlineWidth } })
    expect(ring).toEqual({ style: 'solid', width: '3px' })
    await page.keyboard.press('ArrowRight')
    await page.keyboard.press('ArrowRight')
    expect(await pre.evaluate((el) => el.scrollLeft)).toBeGreaterThan(0)
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
