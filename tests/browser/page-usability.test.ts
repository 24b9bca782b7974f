import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { launchBrowser, watchedPage } from '../helpers/browser.ts'

let upstream: FakeUpstream
let juxta: RunningJuxta
let browser: Browser
const MODELS = Array.from({ length: 9 }, (_, i) => `m${i + 1}`)

beforeAll(async () => {
  upstream = await startFakeUpstream()
  for (const m of MODELS) upstream.script(m, { kind: 'text', deltas: 12, everyMs: 15 })
  // Fails once with a 500, then answers: "retry this column" must recover it.
  upstream.script('flaky', {
    kind: 'sequence',
    steps: [
      { kind: 'status', status: 500, body: { error: { message: 'temporary failure', type: 'server_error' } } },
      { kind: 'text', deltas: ['recovered', ' answer'] },
    ],
  })
  upstream.script('slowpoke', { kind: 'text', deltas: 30, everyMs: 60 })
  juxta = await startJuxta({
    config: fakeConfig({
      p: {
        base_url: upstream.url,
        models: [...MODELS, 'flaky', 'slowpoke'].map((id) => ({ id, price: { input: 1, output: 2 } })),
      },
    }),
  })
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
  await juxta?.close()
  await upstream?.close()
})

describe('the page with many columns, small screens, dark mode, keyboard and screen readers', () => {
  it('lays out nine columns with horizontal scrolling, and announces each column once when it ends', async () => {
    const { page, watch } = await watchedPage(browser, juxta.url)
    await page.goto(juxta.url)
    // Count live-region updates: one per finished column, never per token.
    await page.evaluate(() => {
      const w = window as unknown as { __announcements: string[] }
      w.__announcements = []
      new MutationObserver(() =>
        w.__announcements.push(document.getElementById('announce')!.textContent ?? ''),
      ).observe(document.getElementById('announce')!, { childList: true, characterData: true, subtree: true })
    })
    await page.fill('#prompt', 'Nine at once')
    for (const m of MODELS) await page.check(`input[value="p/${m}"]`)
    await page.click('button.send')
    await page.waitForSelector('#summary table', { timeout: 20_000 })
    expect(await page.locator('.col').count()).toBe(9)
    expect(await page.locator('.summary-table tbody tr').count()).toBe(9)
    const scroll = await page.$eval('.columns', (el) => ({ scroll: el.scrollWidth, client: el.clientWidth }))
    expect(scroll.scroll).toBeGreaterThan(scroll.client)
    const announcements = await page.evaluate(
      () => (window as unknown as { __announcements: string[] }).__announcements,
    )
    expect(announcements.length).toBe(9)
    expect(announcements.every((a) => /finished in/.test(a))).toBe(true)
    // Columns are labelled regions for assistive technology.
    const label = await page.$eval(
      '.col',
      (el) => document.getElementById(el.getAttribute('aria-labelledby')!)?.textContent,
    )
    expect(label).toBe('m1')
    expect(watch.errors).toEqual([])
    await page.close()
  })

  it('stacks columns on a phone-sized screen', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 800 } })
    await page.goto(juxta.url)
    await page.fill('#prompt', 'Small screen')
    await page.check('input[value="p/m1"]')
    await page.check('input[value="p/m2"]')
    await page.click('button.send')
    await page.waitForSelector('#summary table', { timeout: 15_000 })
    const boxes = await page.$$eval('.col', (els) => els.map((e) => e.getBoundingClientRect().toJSON() as DOMRect))
    expect(boxes[1]!.top).toBeGreaterThanOrEqual(boxes[0]!.bottom)
    for (const b of boxes) expect(b.right).toBeLessThanOrEqual(390)
    await page.close()
  })

  it('remembers the last target selection across visits', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(juxta.url)
    for (const box of await page.locator('input[name="targets"]:checked').all()) await box.uncheck()
    await page.check('input[value="p/m4"]')
    await page.check('input[value="p/flaky"]')
    await page.reload()
    const checked = await page.$$eval('input[name="targets"]:checked', (els) =>
      els.map((e) => (e as HTMLInputElement).value),
    )
    expect(checked.sort()).toEqual(['p/flaky', 'p/m4'])
    await context.close()
  })

  it('follows the dark colour scheme', async () => {
    const colours: string[] = []
    for (const colorScheme of ['light', 'dark'] as const) {
      const page = await browser.newPage({ colorScheme })
      await page.goto(juxta.url)
      colours.push(await page.$eval('body', (b) => getComputedStyle(b).backgroundColor))
      await page.close()
    }
    expect(colours[0]).not.toBe(colours[1])
    expect(colours[1]).toBe('rgb(15, 17, 21)')
  })

  it('runs a comparison with the keyboard alone', async () => {
    const { page } = await watchedPage(browser, juxta.url)
    await page.goto(juxta.url)
    await page.keyboard.press('Tab') // skip link
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content')
    await page.focus('#prompt')
    await page.keyboard.type('Keyboard only')
    await page.focus('input[value="p/m3"]')
    await page.keyboard.press('Space')
    await page.focus('#prompt')
    await page.keyboard.press('Control+Enter')
    await page.waitForSelector('#summary table', { timeout: 15_000 })
    expect(await page.locator('[data-target="p/m3"] .status-ok').count()).toBe(1)
    await page.close()
  })

  it('retries one column in place and updates the summary', async () => {
    const { page, watch } = await watchedPage(browser, juxta.url)
    await page.goto(juxta.url)
    await page.fill('#prompt', 'Flaky')
    for (const box of await page.locator('input[name="targets"]:checked').all()) await box.uncheck()
    await page.check('input[value="p/m1"]')
    await page.check('input[value="p/flaky"]')
    await page.check('input[value="p/slowpoke"]')
    await page.click('button.send')
    // Retried while the slow column still streams: the run's end must not undo the retry.
    const flaky = page.locator('[data-target="p/flaky"]')
    await flaky.locator('.status-error').waitFor({ timeout: 10_000 })
    expect(await page.locator('[data-target="p/slowpoke"] .status-running').count()).toBe(1)
    await flaky.getByRole('button', { name: 'Retry this column' }).click()
    await flaky.locator('.status-ok').waitFor({ timeout: 10_000 })
    await page.waitForSelector('[data-target="p/slowpoke"] .status-ok', { timeout: 15_000 })
    await page.waitForFunction(() => document.querySelector('#summary tr[data-target="p/slowpoke"]') !== null)
    expect(await flaky.locator('.answer').textContent()).toContain('recovered answer')
    expect(await flaky.locator('.error-box').count()).toBe(0)
    await page.waitForFunction(() => document.querySelector('tr[data-target="p/flaky"] td')?.textContent === 'ok')
    // The other column was not touched.
    expect(await page.locator('[data-target="p/m1"] .answer').textContent()).toContain('w12')
    expect(watch.errors.filter((e) => !e.includes('500'))).toEqual([])
    await page.close()
  })
})
