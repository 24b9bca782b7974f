import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import type { FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, type RunningJuxta } from '../helpers/juxta.ts'
import { axeViolations, watchedPage } from '../helpers/browser.ts'
import type { SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { GIF, dataUrl, pngVariant } from '../images/fixtures.ts'
import { type BrowserRig, startBrowserRig } from '../helpers/browser-rig.ts'

let rig: BrowserRig
let upstream: FakeUpstream
let juxta: RunningJuxta
let store: SqliteRunStore
let browser: Browser

beforeAll(async () => {
  rig = await startBrowserRig({
    name: 'attach',
    setup: (upstream) => {
      upstream.script('seer', { kind: 'text', deltas: ['A', ' cat'] })
      return fakeConfig({
        v: {
          base_url: upstream.url,
          models: [{ id: 'seer', label: 'Seer', vision: true, price: { input: 1, output: 2 } }],
        },
      })
    },
  })
  ;({ upstream, juxta, store, browser } = rig)
})

afterAll(async () => {
  await rig?.close()
})

const FIRST = pngVariant(1)
const PASTED = pngVariant(2)
const DROPPED = pngVariant(3)

/** Hands files to the page as a paste or a drop would (a DataTransfer built in the page). */
async function transfer(page: Page, kind: 'paste' | 'drop', selector: string, file: Buffer, name: string) {
  await page.evaluate(
    ({ kind, selector, bytes, name }) => {
      const dt = new DataTransfer()
      dt.items.add(new File([new Uint8Array(bytes)], name, { type: 'image/png' }))
      const target = document.querySelector(selector)!
      const event =
        kind === 'paste'
          ? new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true })
          : new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true })
      target.dispatchEvent(event)
    },
    { kind, selector, bytes: [...file], name },
  )
}

const alts = (page: Page) =>
  page.locator('#attached img').evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).alt))

describe('attaching images on the compare page', () => {
  // Picker, paste and drop; a non-image refused; one removed; sent; then the run page, history and Run again.
  it('attaches, refuses, removes, sends, and shows the images everywhere', async () => {
    const { page, watch } = await watchedPage(browser, juxta.url)
    await page.goto(juxta.url)
    await page.fill('#prompt', 'What is in these pictures?')
    await page.check('input[name="targets"][value="v/seer"]')

    await page.setInputFiles('#image-picker', [
      { name: 'first.png', mimeType: 'image/png', buffer: FIRST },
      { name: 'anim.gif', mimeType: 'image/gif', buffer: GIF },
      // Named and typed as a PNG, but HTML inside: refused by its content.
      { name: 'evil.png', mimeType: 'image/png', buffer: Buffer.from('<html><script>alert(1)</script></html>') },
    ])
    await page.waitForFunction(() => document.querySelectorAll('#attached img').length === 2)
    expect(await page.textContent('#attach-status')).toContain('evil.png: not a PNG, JPEG, WebP or GIF image')
    await transfer(page, 'paste', '#prompt', PASTED, 'pasted.png')
    await page.waitForFunction(() => document.querySelectorAll('#attached img').length === 3)
    await transfer(page, 'drop', '#prompt', DROPPED, 'dropped.png')
    await page.waitForFunction(() => document.querySelectorAll('#attached img').length === 4)
    expect(await alts(page)).toEqual([
      'Attached image 1 (PNG, 1 KB)',
      'Attached image 2 (GIF, 1 KB)',
      'Attached image 3 (PNG, 1 KB)',
      'Attached image 4 (PNG, 1 KB)',
    ])
    // The estimate gets the count only, and says the images are not in its range.
    await page.waitForFunction(() => document.querySelector('#estimate')?.textContent?.includes('4 images not priced'))
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme })
      expect(await axeViolations(page)).toEqual([])
    }

    // Removed from the keyboard: focus moves to the next remove button.
    await page.focus('#attached button[aria-label="Remove image 2"]')
    await page.keyboard.press('Enter')
    await page.waitForFunction(() => document.querySelectorAll('#attached img').length === 3)
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Remove image 2')
    expect(await alts(page)).toHaveLength(3)

    const before = upstream.requests.length
    await page.click('button.send')
    await page.waitForSelector('#summary table', { timeout: 15_000 })
    const sent = upstream.requests.slice(before)
    expect(sent).toHaveLength(1)
    expect(sent[0]!.body.messages[0]!.content).toEqual([
      { type: 'text', text: 'What is in these pictures?' },
      { type: 'image_url', image_url: { url: dataUrl('image/png', FIRST) } },
      { type: 'image_url', image_url: { url: dataUrl('image/png', PASTED) } },
      { type: 'image_url', image_url: { url: dataUrl('image/png', DROPPED) } },
    ])

    const runId = (await store.listRuns({ limit: 1 })).runs[0]!.run_id
    await page.goto(`${juxta.url}/runs/${runId}`)
    const thumbs = page.locator('.thumbs img')
    expect(await thumbs.count()).toBe(3)
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>('.thumbs img')].every((i) => i.complete && i.naturalWidth === 1),
    )
    expect(await thumbs.first().getAttribute('alt')).toBe('Attached image 1 (PNG, 1 KB)')
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme })
      expect(await axeViolations(page)).toEqual([])
    }

    await page.goto(`${juxta.url}/history`)
    expect(await page.locator(`tr[data-run-id="${runId}"] .thumbs-small img`).count()).toBe(3)
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme })
      expect(await axeViolations(page)).toEqual([])
    }
    // "Run again" attaches the run's images again, ready to send.
    await page.goto(`${juxta.url}/?rerun=${runId}`)
    await page.waitForFunction(() => document.querySelectorAll('#attached img').length === 3)
    expect(await alts(page)).toEqual([
      'Attached image 1 (PNG, 1 KB)',
      'Attached image 2 (PNG, 1 KB)',
      'Attached image 3 (PNG, 1 KB)',
    ])
    expect(watch.errors).toEqual([])
    expect(watch.foreignRequests).toEqual([])
  })
})
