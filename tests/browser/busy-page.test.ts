import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { startFakeUpstream, waitFor, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { launchBrowser, watchedPage } from '../helpers/browser.ts'

// Past run.max_concurrent_runs the page says so where the user looks, and breaks nothing.

let upstream: FakeUpstream
let juxta: RunningJuxta
let browser: Browser
const holds: AbortController[] = []
const bodies: Response[] = []

beforeAll(async () => {
  upstream = await startFakeUpstream()
  upstream.script('quick', { kind: 'text', deltas: ['Quick', ' answer.'] })
  upstream.script('endless', { kind: 'endless', mode: 'deltas', everyMs: 50 })
  juxta = await startJuxta({
    config: fakeConfig({ a: { base_url: upstream.url, models: ['quick', 'endless'] } }, { max_concurrent_runs: 2 }),
  })
  browser = await launchBrowser()
})

afterAll(async () => {
  for (const h of holds) h.abort()
  await browser?.close()
  await juxta?.close()
  await upstream?.close()
})

/** Takes one run slot through the API until aborted. */
async function hold(): Promise<void> {
  const controller = new AbortController()
  holds.push(controller)
  const before = juxta.ctx.runSlots.inFlight
  const res = await fetch(`${juxta.url}/api/compare`, {
    method: 'POST',
    signal: controller.signal,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'hold', targets: ['a/endless'], stream: true }),
  })
  expect(res.status).toBe(200)
  // The body is left unread and open: closing it would cancel the run and free its slot.
  bodies.push(res)
  expect(juxta.ctx.runSlots.inFlight).toBe(before + 1)
}

describe('the compare page past max_concurrent_runs', () => {
  it('shows why a column retry and a new run did not start, keeping what is on the page', async () => {
    await hold()
    const { page, watch } = await watchedPage(browser, juxta.url)
    await page.goto(juxta.url)
    await page.fill('#prompt', 'Say something')
    await page.check('input[name="targets"][value="a/quick"]')
    await page.click('button.send')
    await page.waitForSelector('.col[data-target="a/quick"] .status-ok')
    await page.waitForSelector('#c0 button:has-text("Retry this column")')
    expect(await waitFor(() => juxta.ctx.runSlots.inFlight === 1, 5000)).toBe(true)

    await hold()
    await page.click('#c0 button:has-text("Retry this column")')
    await page.waitForSelector('#e0 [role="alert"]')
    expect(await page.locator('#e0').textContent()).toContain('Too many runs in progress (at most 2 at once)')
    expect(await page.locator('#c0 .answer').textContent()).toContain('Quick answer.')

    await page.fill('#prompt', 'Another one')
    await page.click('button.send')
    await page.waitForSelector('#form-errors .form-errors')
    const message = await page.locator('#form-errors').textContent()
    expect(message).toContain('Not started:')
    expect(message).toContain('Nothing was sent or recorded; try again in a few seconds.')
    // The finished run stays on the page, untouched.
    expect(await page.locator('.col').count()).toBe(1)
    expect(await page.locator('#c0 .answer').textContent()).toContain('Quick answer.')
    expect(upstream.requestsFor('quick')).toHaveLength(1)
    // The browser logs every 4xx answer by itself; nothing else went wrong (no script error, no broken swap).
    expect(watch.errors.filter((e) => !e.includes('status of 429 (Too Many Requests)'))).toEqual([])
    expect(watch.errors).toHaveLength(2)
    await page.close()
  })
})
