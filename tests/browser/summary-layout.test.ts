import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { launchBrowser } from '../helpers/browser.ts'

const ARTIFACTS = resolve(import.meta.dirname, '../artifacts')
const TARGETS = ['openai/gpt-5.1-mini', 'deepseek/deepseek-reasoner', 'openrouter/meta-llama/llama-3.3-70b-instruct']

let upstream: FakeUpstream
let juxta: RunningJuxta
let browser: Browser

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true })
  upstream = await startFakeUpstream()
  upstream.script('gpt-5.1-mini', { kind: 'text', deltas: 20 })
  upstream.script('deepseek-reasoner', { kind: 'text', reasoning: 30, deltas: 40 })
  upstream.script('meta-llama/llama-3.3-70b-instruct', { kind: 'text', deltas: 30 })
  juxta = await startJuxta({
    config: fakeConfig({
      openai: {
        base_url: upstream.url,
        models: [{ id: 'gpt-5.1-mini', label: 'GPT-5.1 mini', price: { input: 0.25, cached_input: 0.025, output: 2 } }],
      },
      deepseek: {
        base_url: upstream.url,
        models: [{ id: 'deepseek-reasoner', label: 'DeepSeek Reasoner', price: { input: 0.28, output: 0.42 } }],
      },
      openrouter: {
        base_url: upstream.url,
        models: [
          {
            id: 'meta-llama/llama-3.3-70b-instruct',
            label: 'Llama 3.3 70B Instruct',
            price: { input: 0.13, output: 0.4 },
          },
        ],
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

async function runAt(width: number): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 } })
  await page.goto(juxta.url)
  await page.fill('#prompt', 'How long does it take to boil an egg?')
  for (const t of TARGETS) await page.check(`input[value="${t}"]`)
  await page.click('button.send')
  await page.waitForSelector('#summary table', { timeout: 20_000 })
  await page.locator('#summary').scrollIntoViewIfNeeded()
  await page.screenshot({ path: join(ARTIFACTS, `summary-${width}.png`), fullPage: true })
  await page.locator('#summary').screenshot({ path: join(ARTIFACTS, `summary-card-${width}.png`) })
  return page
}

/** Where the summary's scroll box, its table and its last column are, and whether the page itself overflows. */
const measure = (page: Page) =>
  page.$eval('#summary .table-scroll', (box) => {
    const table = box.querySelector('table')!
    const last = table.querySelector('thead th:last-child')!.getBoundingClientRect()
    const rect = box.getBoundingClientRect()
    return {
      boxRight: rect.right,
      clientWidth: box.clientWidth,
      scrollWidth: box.scrollWidth,
      lastRight: last.right,
      lastLabel: table.querySelector('thead th:last-child')!.textContent,
      pageOverflows: document.documentElement.scrollWidth > window.innerWidth,
      role: box.getAttribute('role'),
      label: box.getAttribute('aria-label'),
      tabindex: box.getAttribute('tabindex'),
    }
  })

describe('the summary table at common widths', () => {
  it('fits every column, per-1,000 requests included, at 1280 px', async () => {
    const page = await runAt(1280)
    const m = await measure(page)
    expect(m.lastLabel).toBe('Per 1,000 requests')
    expect(m.scrollWidth).toBeLessThanOrEqual(m.clientWidth)
    expect(m.lastRight).toBeLessThanOrEqual(m.boxRight)
    expect(m.pageOverflows).toBe(false)
    await page.close()
  })

  for (const width of [1024, 390]) {
    it(`scrolls inside its card at ${width} px, as a labelled region the keyboard can scroll`, async () => {
      const page = await runAt(width)
      const m = await measure(page)
      expect(m.pageOverflows).toBe(false)
      expect(m).toMatchObject({ role: 'region', label: 'Summary table', tabindex: '0' })
      if (m.scrollWidth > m.clientWidth) {
        await page.focus('#summary .table-scroll')
        for (let i = 0; i < 60; i++) await page.keyboard.press('ArrowRight')
        // Keyboard scrolling is animated: wait until the last column has come into view.
        await page.waitForFunction(
          () => {
            const box = document.querySelector('#summary .table-scroll')!
            return (
              box.querySelector('thead th:last-child')!.getBoundingClientRect().right <=
              box.getBoundingClientRect().right + 1
            )
          },
          null,
          { timeout: 5000 },
        )
        const after = await page.$eval('#summary .table-scroll', (box) => ({
          scrollLeft: box.scrollLeft,
          lastVisible:
            box.querySelector('thead th:last-child')!.getBoundingClientRect().right <=
            box.getBoundingClientRect().right + 1,
        }))
        expect(after.scrollLeft).toBeGreaterThan(0)
        expect(after.lastVisible).toBe(true)
      }
      await page.close()
    })
  }
})
