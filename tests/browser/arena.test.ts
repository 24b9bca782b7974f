import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Page } from 'playwright-core'
import { fakeConfig } from '../helpers/juxta.ts'
import { axeViolations, watchedPage } from '../helpers/browser.ts'
import { type BrowserRig, startBrowserRig } from '../helpers/browser-rig.ts'
import { SqliteArenaStore } from '../../src/storage/arena-store.ts'
import { SqliteStudyStore } from '../../src/storage/sqlite-study-store.ts'

const ARTIFACTS = resolve(import.meta.dirname, '../artifacts')
const TARGETS = ['provone/mdl-quick', 'provtwo/mdl-slow', 'provthree/mdl-think']
const LABELS = ['Quick Label', 'Slow Label', 'Think Label']
/** Every name of a target: ids, model ids, labels, provider ids and names, the model id the upstream reports. */
const IDENTITIES = [
  ...TARGETS,
  ...LABELS,
  'mdl-quick',
  'mdl-slow',
  'mdl-think',
  'provone',
  'provtwo',
  'provthree',
  'Provider One',
  'Provider Two',
  'Provider Three',
  'reported-model-x',
]
/** Figures: amounts, times, rates, token counts. */
const FIGURES = /\$\d|\d ms\b|\d(\.\d+)? s\b|tok\/s|TTFT|\d tok\b|Input|Output/

let rig: BrowserRig

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true })
  rig = await startBrowserRig({
    name: 'arena',
    setup: (upstream) => {
      upstream.script('mdl-quick', { kind: 'text', deltas: 12, everyMs: 40, model: 'reported-model-x' })
      upstream.script('mdl-slow', { kind: 'text', deltas: 20, everyMs: 60 })
      upstream.script('mdl-think', { kind: 'text', reasoning: ['pondering ', 'deeply'], deltas: 15, everyMs: 50 })
      const config = fakeConfig({
        provone: {
          base_url: upstream.url,
          models: [{ id: 'mdl-quick', label: LABELS[0], price: { input: 1, output: 2 } }],
        },
        provtwo: {
          base_url: upstream.url,
          models: [{ id: 'mdl-slow', label: LABELS[1], price: { input: 3, output: 4 } }],
        },
        provthree: {
          base_url: upstream.url,
          models: [{ id: 'mdl-think', label: LABELS[2], price: { input: 5, output: 6 } }],
        },
      }) as { providers: Record<string, Record<string, unknown>> }
      config.providers.provone!.name = 'Provider One'
      config.providers.provtwo!.name = 'Provider Two'
      config.providers.provthree!.name = 'Provider Three'
      return config
    },
    context: (store) => ({ arena: new SqliteArenaStore(store.db), studyStore: new SqliteStudyStore(store.db) }),
  })
})

afterAll(async () => {
  await rig?.close()
})

/**
 * The page as HTML, without the compare form's target picker: it lists every configured model by design (it is
 * where the person ticked them), and says nothing about which answer is which.
 */
const pageHtml = (page: Page) =>
  page.evaluate(() => {
    const copy = document.documentElement.cloneNode(true) as HTMLElement
    copy.querySelector('#targets')?.remove()
    return copy.outerHTML
  })

function leaks(html: string): string[] {
  return [
    ...IDENTITIES.filter((id) => html.includes(id)),
    ...(FIGURES.test(html) ? [`figure ${FIGURES.exec(html)![0]}`] : []),
  ]
}

describe('a blind run in the browser', () => {
  it('streams three answers with no identity in the DOM or the stream until the vote, then reveals', async () => {
    const { page, watch } = await watchedPage(rig.browser, rig.juxta.url)
    let sse = ''
    page.on('response', (r) => {
      if (r.request().method() === 'POST' && new URL(r.url()).pathname === '/runs') {
        void r.text().then((t) => {
          sse += t
        })
      }
    })
    await page.goto(rig.juxta.url)
    await page.fill('#prompt', 'Which of you is best?')
    for (const t of TARGETS) await page.check(`input[name="targets"][value="${t}"]`)
    await page.check('#blind')
    await page.waitForFunction(() => document.querySelector('#estimate')?.textContent?.includes('Blind mode'))
    await page.click('button.send')

    // Every ~30 ms while it streams, and once it is done.
    const found = new Set<string>()
    let snapshots = 0
    let sawText = false
    while ((await page.locator('.vote-form').count()) === 0) {
      const html = await pageHtml(page)
      for (const l of leaks(html)) found.add(l)
      sawText ||= html.includes('w3')
      snapshots++
      await page.waitForTimeout(30)
    }
    await page.waitForFunction(() => document.querySelector('#run-state')?.textContent === 'Done')
    for (const l of leaks(await pageHtml(page))) found.add(l)
    expect([...found]).toEqual([])
    expect(snapshots).toBeGreaterThan(5)
    expect(sawText).toBe(true)
    expect(await page.locator('.col h3').allTextContents()).toEqual(['Answer A', 'Answer B', 'Answer C'])
    expect(await page.locator('.col[data-target]').count()).toBe(0)
    expect(await page.locator('#r2, #r1, #r0').allTextContents()).toContain('pondering deeply')
    await page.screenshot({ path: join(ARTIFACTS, 'arena-blind.png'), fullPage: true })

    // The stream as received: complete, and as blind as the page.
    await expect.poll(() => sse.includes('event: done'), { timeout: 5000 }).toBe(true)
    expect(leaks(sse)).toEqual([])

    // The vote reveals everything in place.
    await page.click('.vote-form button[value="b"]')
    await page.waitForSelector('.col[data-target]')
    const revealed = await page.locator('#run').innerHTML()
    for (const label of LABELS) expect(revealed).toContain(label)
    for (const t of TARGETS) expect(revealed).toContain(t)
    expect(revealed).toMatch(/TTFT/)
    expect(await page.locator('#summary table').count()).toBe(1)
    const letters = await new SqliteArenaStore(rig.store.db).blindOf(
      (await page.getAttribute('#run .run', 'data-run-id'))!,
    )
    const bLabel = LABELS[TARGETS.indexOf(letters![1]!)]!
    expect(await page.locator('.vote-current').textContent()).toBe(`your vote: ${bLabel} is best`)
    expect(await page.locator('.col h3').nth(1).textContent()).toBe(bLabel)
    expect(watch.errors).toEqual([])
    expect(watch.foreignRequests).toEqual([])
    await page.close()
  })
})

describe.each(['light', 'dark'] as const)('arena pages are axe clean, %s', (colorScheme) => {
  it('blind run before and after the vote, the leaderboard with its chart, a study judge panel', async () => {
    const page = await rig.browser.newPage({ colorScheme, viewport: { width: 1280, height: 900 } })
    const found: Record<string, string[]> = {}
    await page.goto(rig.juxta.url)
    await page.fill('#prompt', 'Axe me')
    for (const t of TARGETS) await page.check(`input[name="targets"][value="${t}"]`)
    await page.check('#blind')
    await page.click('button.send')
    await page.waitForSelector('.vote-form', { timeout: 20_000 })
    found.blind = await axeViolations(page)
    await page.click('.vote-form button[value="a"]')
    await page.waitForSelector('.col[data-target]')
    const runId = (await page.getAttribute('#run .run', 'data-run-id'))!
    found.revealed = await axeViolations(page)
    await page.goto(`${rig.juxta.url}/runs/${runId}`)
    expect(await page.locator('.arena-panel').count()).toBe(1)
    found.stored = await axeViolations(page)

    await page.goto(`${rig.juxta.url}/leaderboard`)
    expect(await page.locator('.leaderboard-table tbody tr').count()).toBe(3)
    const chart = page.locator('figure.chart-figure svg[role="img"]')
    expect(await chart.count()).toBe(1)
    expect(await chart.locator('circle').count()).toBe(3)
    await page.screenshot({ path: join(ARTIFACTS, `arena-leaderboard-${colorScheme}.png`), fullPage: true })
    found.leaderboard = await axeViolations(page)
    await page.goto(`${rig.juxta.url}/leaderboard?axis=ttft`)
    expect(await page.locator('figure.chart-figure svg[role="img"] circle').count()).toBe(3)
    found.ttft = await axeViolations(page)

    // A finished study's judge panel, before and after judging (this judge writes no verdict line: all
    // "no verdict", which the panel says).
    const created = await fetch(`${rig.juxta.url}/api/studies`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: rig.juxta.url },
      body: JSON.stringify({ name: `judge ${colorScheme}`, prompts: ['p1', 'p2'], targets: TARGETS.slice(0, 2) }),
    })
    const { study_id } = (await created.json()) as { study_id: string }
    await expect
      .poll(
        async () =>
          ((await (await fetch(`${rig.juxta.url}/api/studies/${study_id}`)).json()) as { status: string }).status,
        { timeout: 20_000 },
      )
      .toBe('done')
    await page.goto(`${rig.juxta.url}/studies/${study_id}`)
    await page.click(`a[href="/studies/${study_id}/judge"]`)
    await page.waitForSelector('#study-judge .study-judge form')
    found.study = await axeViolations(page)
    await page.selectOption('#study-judge-target', TARGETS[2]!)
    await page.click('#study-judge button[type="submit"]')
    await page.waitForSelector('#study-judge .judge-sentences', { timeout: 20_000 })
    expect(await page.locator('.judge-sentences li').first().textContent()).toContain('no prompt judged')
    found.judged = await axeViolations(page)
    expect(found).toEqual({
      blind: [],
      revealed: [],
      stored: [],
      leaderboard: [],
      ttft: [],
      study: [],
      judged: [],
    })
    await page.close()
  })
})
