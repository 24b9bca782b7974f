import { mkdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SqliteStudyStore } from '../../src/storage/sqlite-study-store.ts'
import { axeViolations, type PageWatch, watchedPage } from '../helpers/browser.ts'
import { type BrowserRig, startBrowserRig } from '../helpers/browser-rig.ts'
import { fakeConfig } from '../helpers/juxta.ts'
import { api } from '../helpers/study-rig.ts'

// A study made from the page, on loopback upstreams with known usage (10 input and 100 output tokens a request):
// "cheap" costs $0.0001 a request, "dear" $0.001. "Slow" takes seconds a cell, to look at a running study.

const ARTIFACTS = resolve(import.meta.dirname, '../artifacts')

let rig: BrowserRig
let url: string

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true })
  rig = await startBrowserRig({
    name: 'study-pages',
    setup: (upstream) => {
      const usageBody = { prompt_tokens: 10, completion_tokens: 100, total_tokens: 110 }
      upstream.script('cheap', { kind: 'text', deltas: ['**Short** ', 'answer'], everyMs: 40, usageBody })
      upstream.script('dear', {
        kind: 'text',
        deltas: ['A *longer* ', 'answer ', '<b>here</b>'],
        everyMs: 60,
        usageBody,
      })
      upstream.script('slow', { kind: 'text', deltas: 100, everyMs: 100, usageBody })
      return fakeConfig({
        s: {
          base_url: upstream.url,
          models: [
            { id: 'cheap', label: 'Cheap One', price: { input: 0, output: 1 } },
            { id: 'dear', label: 'Dear One', price: { input: 0, output: 10 } },
            { id: 'slow', label: 'Slow One', price: { input: 0, output: 1 } },
          ],
        },
      })
    },
    context: (store) => ({ studyStore: new SqliteStudyStore(store.db) }),
  })
  url = rig.juxta.url
})

afterAll(async () => {
  await rig?.juxta.ctx.studies?.close()
  await rig?.close()
})

/** Page errors, console errors (CSP violations are reported there) and requests to other origins. */
const clean = (watch: PageWatch) => ({ errors: watch.errors, foreign: watch.foreignRequests })

async function progressRequests(page: Page, ms: number): Promise<number> {
  let n = 0
  const count = (r: { url(): string }) => {
    if (r.url().endsWith('/progress')) n++
  }
  page.on('request', count)
  await page.waitForTimeout(ms)
  page.off('request', count)
  return n
}

let studyPath = ''

describe('a study from the page (light)', () => {
  it('creates a study, watches it to the end, reads the summary, opens a prompt, downloads the report', async () => {
    const { page, watch } = await watchedPage(rig.browser, url)
    await page.emulateMedia({ colorScheme: 'light' })
    const axe: Record<string, string[]> = {}

    await page.goto(url)
    await page.click('nav a:has-text("Studies")')
    await page.click('a:has-text("New study")')
    await page.waitForSelector('#study-form')
    axe.new = await axeViolations(page)

    await page.fill('#study-name', 'Cheap or dear')
    await page.fill('#study-prompts', 'What is 2+2?\nName a colour.\n<script>alert(1)</script>\nSay hi.\nCount to 3.')
    await page.check('input[value="s/cheap"]')
    await page.check('input[value="s/dear"]')
    await page.fill('#study-repeats', '2')
    await page.fill('#study-concurrency', '1')
    await page.click('button:has-text("Estimate")')
    await page.waitForSelector('#study-estimate .study-estimate-result')
    expect(await page.locator('#study-estimate').textContent()).toContain('20 cells, estimated cost')
    axe.estimate = await axeViolations(page)

    await page.click('button:has-text("Start study")')
    await page.waitForURL(/\/studies\/[0-9a-z]+\?notice=started$/)
    studyPath = new URL(page.url()).pathname
    expect(await page.locator('#study-live progress').getAttribute('max')).toBe('20')

    // The poll reloads the page once the study has ended; the reloaded page says Done and polls no more.
    await page.waitForSelector('h2:has-text("Progress: Done")', { timeout: 30_000 })
    expect(new URL(page.url()).search).toBe('')
    expect(await page.locator('#study-live progress').getAttribute('value')).toBe('20')
    expect(await progressRequests(page, 2500)).toBe(0)
    axe.done = await axeViolations(page)

    const cells = async (target: string) =>
      page.locator(`table.study-summary tr[data-target="${target}"] td`).allTextContents()
    expect((await cells('s/cheap')).slice(0, 7)).toEqual(['10', '10', '0', '$0.001', '$0.0001', '$0.0001', '$0.0001'])
    expect((await cells('s/dear')).slice(3, 7)).toEqual(['$0.01', '$0.001', '$0.001', '$0.001'])
    expect(await page.locator('ul.ratios li').allTextContents()).toEqual([
      'Cheap One costs 10× less than Dear One per request on these 5 prompts (95% CI 10–10×).',
    ])
    expect(await page.locator('figure.chart-figure svg[role="img"]').count()).toBe(3)
    expect(await page.locator('table.grid-table tbody tr').count()).toBe(5)
    expect(await page.locator('main script').count()).toBe(0)

    // A grid row opens the prompt: every answer side by side, Markdown rendered, raw HTML inert.
    await page.click('table.grid-table tbody tr[data-prompt="2"] th a')
    await page.waitForSelector('.study-columns')
    expect(await page.locator('.study-prompt-text').textContent()).toBe('<script>alert(1)</script>')
    expect(await page.locator('.study-columns .answer-full').count()).toBe(4)
    expect(await page.locator('.study-columns .answer-full strong').count()).toBe(2)
    expect(await page.locator('.study-columns .answer-full em').count()).toBe(2)
    expect(await page.locator('.study-columns b').count()).toBe(0)
    axe.prompt = await axeViolations(page)
    await page.click(`.breadcrumbs a[href="${studyPath}"]`)

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('a:has-text("HTML report")')])
    expect(download.suggestedFilename()).toBe('juxta-study-Cheap-or-dear.html')
    const report = readFileSync((await download.path())!, 'utf8')
    expect(report).not.toMatch(/https?:|\ssrc=|url\(|@import|<script|<link/i)
    expect(report).toContain('Cheap One costs 10× less than Dear One per request on these 5 prompts (95% CI 10–10×).')
    expect(report).toContain('<td>$0.001</td>')
    expect(report).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')

    await page.goto(`${url}/studies`)
    expect(await page.locator('table.study-list tbody tr').first().textContent()).toContain('Cheap or dear')
    axe.list = await axeViolations(page)
    expect(axe).toEqual({ new: [], estimate: [], done: [], prompt: [], list: [] })
    expect(clean(watch)).toEqual({ errors: [], foreign: [] })
    await page.close()
  }, 90_000)
})

describe('prompts picked from history', () => {
  it('searches recent runs, keeps the ticked one across searches and counts its prompt in the estimate', async () => {
    const { page, watch } = await watchedPage(rig.browser, url)
    await page.goto(`${url}/studies/new`)
    await page.click('summary:has-text("pick prompts of runs from history")')
    await page.fill('#history-q', 'colour')
    // The prompt was asked 4 times (2 targets × 2 repeats): offered once.
    await page.waitForFunction(() => document.querySelectorAll('#history-picks li').length === 1)
    expect(await page.locator('#history-picks li').first().textContent()).toContain('Name a colour.')
    await page.locator('#history-picks input').first().check()
    // Another search keeps the ticked run first, still ticked.
    await page.fill('#history-q', 'Count')
    await page.waitForFunction(() =>
      [...document.querySelectorAll('#history-picks li')].some((li) => li.textContent?.includes('Count to 3.')),
    )
    const first = page.locator('#history-picks li').first()
    expect(await first.textContent()).toContain('Name a colour.')
    expect(await first.locator('input').isChecked()).toBe(true)
    await page.check('input[value="s/cheap"]')
    await page.click('button:has-text("Estimate")')
    await page.waitForSelector('#study-estimate .study-estimate-result')
    expect(await page.locator('#study-estimate').textContent()).toContain('1 cell, estimated cost')
    expect(clean(watch)).toEqual({ errors: [], foreign: [] })
    await page.close()
  }, 30_000)
})

describe.each(['light', 'dark'] as const)('study pages, %s colour scheme', (colorScheme) => {
  it('are axe clean while running, paused and done, and the controls work from the page', async () => {
    const { page, watch } = await watchedPage(rig.browser, url)
    await page.emulateMedia({ colorScheme })
    const axe: Record<string, string[]> = {}
    const created = await api<{ study_id: string }>(url, '/api/studies', {
      body: { name: `slow ${colorScheme}`, prompts: ['a', 'b', 'c'], targets: ['s/slow'], concurrency: 1 },
    })
    expect(created.status).toBe(202)
    await page.goto(`${url}/studies/${created.body.study_id}`)
    expect(await page.locator('#study-live').getAttribute('hx-trigger')).toBe('every 1s')
    expect(await progressRequests(page, 1500)).toBeGreaterThan(0)
    await page.screenshot({ path: join(ARTIFACTS, `study-running-${colorScheme}.png`), fullPage: true })
    axe.running = await axeViolations(page)

    await page.click('button:has-text("Pause")')
    await page.waitForSelector('h2:has-text("Progress: Paused")')
    axe.paused = await axeViolations(page)
    await page.click('button:has-text("Cancel")')
    await page.waitForSelector('h2:has-text("Progress: Cancelled")')

    await page.goto(`${url}/studies/new`)
    await page.screenshot({ path: join(ARTIFACTS, `study-new-${colorScheme}.png`), fullPage: true })
    axe.new = await axeViolations(page)
    await page.goto(`${url}${studyPath}`)
    await page.screenshot({ path: join(ARTIFACTS, `study-done-${colorScheme}.png`), fullPage: true })
    axe.done = await axeViolations(page)
    await page.goto(`${url}${studyPath}/prompts/0`)
    await page.screenshot({ path: join(ARTIFACTS, `study-prompt-${colorScheme}.png`), fullPage: true })
    axe.prompt = await axeViolations(page)
    expect(axe).toEqual({ running: [], paused: [], new: [], done: [], prompt: [] })
    expect(clean(watch)).toEqual({ errors: [], foreign: [] })
    await page.close()
  }, 60_000)
})
