import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import type { FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, type RunningJuxta } from '../helpers/juxta.ts'
import { watchedPage } from '../helpers/browser.ts'
import type { SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { type BrowserRig, startBrowserRig } from '../helpers/browser-rig.ts'

const PAYLOAD =
  '<img src=x onerror="window.__pwned=1">\n\n![x](https://evil.example/leak)\n\n' +
  '[js](javascript:window.__pwned=1)\n\n**kept**'

let rig: BrowserRig
let upstream: FakeUpstream
let juxta: RunningJuxta
let browser: Browser
let store: SqliteRunStore

beforeAll(async () => {
  rig = await startBrowserRig({
    name: 'history-pages',
    setup: (upstream) => {
      upstream.script('evil', {
        kind: 'text',
        deltas: [PAYLOAD.slice(0, 9), PAYLOAD.slice(9)],
        reasoning: ['<script>window.__pwned=1</script>'],
      })
      upstream.script('plain', { kind: 'text', deltas: ['plain', ' answer'] })
      return fakeConfig({
        h: {
          base_url: upstream.url,
          models: [
            { id: 'evil', price: { input: 1, output: 1 } },
            { id: 'plain', price: { input: 2, output: 2 } },
          ],
        },
      })
    },
  })
  ;({ upstream, juxta, browser, store } = rig)
})

afterAll(async () => {
  await rig?.close()
})

describe('history pages', () => {
  it('shows a stored run as it was live, inert after reload, and continues it from history', async () => {
    const { page, watch } = await watchedPage(browser, juxta.url)
    await page.goto(juxta.url)
    await page.fill('#prompt', 'Remember me')
    await page.check('input[value="h/evil"]')
    await page.check('input[value="h/plain"]')
    await page.click('button.send')
    await page.waitForSelector('#summary table', { timeout: 15_000 })
    const liveCost = await page.locator('tr[data-target="h/plain"] .cost-total').textContent()
    // The live run has its own address at once, and a reload of it shows the stored run.
    const runId = await page.locator('#run .run').getAttribute('data-run-id')
    expect(new URL(page.url()).pathname).toBe(`/runs/${runId}`)
    await page.reload()
    expect(await page.locator('.run-prompt').textContent()).toContain('Remember me')
    expect(await page.locator('tr[data-target="h/plain"] .cost-total').textContent()).toBe(liveCost)

    await page.goto(`${juxta.url}/history`)
    const row = page.locator('.history-table tbody tr').first()
    expect(await row.textContent()).toContain('Remember me')
    await row.locator('a').click()
    await page.waitForSelector('.run .col')
    expect(await page.locator('[data-target="h/evil"] .answer strong').textContent()).toBe('kept')
    expect(await page.locator('[data-target="h/evil"] .answer').textContent()).toContain('<img src=x')
    expect(await page.locator('#run img, #run script').count()).toBe(0)
    // The figures are exactly the ones shown live.
    expect(await page.locator('tr[data-target="h/plain"] .cost-total').textContent()).toBe(liveCost)
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned ?? 0)).toBe(0)

    const seen = upstream.requests.length
    await page.fill('#followup textarea', 'And then?')
    await page.click('#followup button[type="submit"]')
    await page.waitForSelector('.run-prompt:has-text("And then?")')
    await page.waitForSelector('#summary table', { timeout: 15_000 })
    const plain = upstream.requests.slice(seen).find((r) => r.model === 'plain')!
    expect(plain.body.messages.map((m: { content: string }) => m.content)).toEqual([
      'Remember me',
      'plain answer',
      'And then?',
    ])
    expect(await page.locator('.summary-table thead').textContent()).toContain('Conversation (2 turns)')

    expect(watch.dialogs).toEqual([])
    expect(watch.foreignRequests).toEqual([])
    expect(watch.errors).toEqual([])
    await page.close()
  })

  it('searches, offers "run again" with the same prompt and targets, and shows spend', async () => {
    const { page } = await watchedPage(browser, juxta.url)
    await page.goto(`${juxta.url}/history?q=${encodeURIComponent('remember')}`)
    expect(await page.locator('.history-table tbody tr').count()).toBe(1)
    await page.goto(`${juxta.url}/history?q=nothing-like-this`)
    expect(await page.locator('.history-table').count()).toBe(0)
    expect(await page.locator('main').textContent()).toContain('No runs match')

    const runs = await store.listRuns({ limit: 10, q: 'remember' })
    await page.goto(`${juxta.url}/runs/${runs.runs[0]!.run_id}`)
    await page.click('text=Run again')
    expect(await page.inputValue('#prompt')).toBe('Remember me')
    expect(await page.isChecked('input[value="h/evil"]')).toBe(true)
    expect(await page.isChecked('input[value="h/plain"]')).toBe(true)

    await page.goto(`${juxta.url}/spend`)
    const report = await store.spend({})
    expect(report.total.requests).toBe(4)
    expect(await page.locator('.big-figure').textContent()).toContain('over 4 requests')
    expect(await page.locator('.chart svg rect').count()).toBeGreaterThan(0)
    await page.close()
  })

  it('imports a JSON export through the page form, and explains a bad file', async () => {
    const exported = await (await fetch(`${juxta.url}/api/runs/export.json`)).text()
    const ids = (JSON.parse(exported).runs as Array<{ run_id: string }>).map((r) => r.run_id)
    expect(ids.length).toBeGreaterThan(0)
    for (const id of ids)
      await fetch(`${juxta.url}/api/runs/${id}`, { method: 'DELETE', headers: { origin: juxta.url } })
    expect((await store.listRuns({ limit: 10 })).runs).toHaveLength(0)

    const form = new FormData()
    form.set('file', new File([exported], 'export.json', { type: 'application/json' }))
    const res = await fetch(`${juxta.url}/history/import`, {
      method: 'POST',
      body: form,
      headers: { origin: juxta.url },
      redirect: 'manual',
    })
    expect(res.status).toBe(303)
    const page = await (await fetch(new URL(res.headers.get('location')!, juxta.url))).text()
    expect(page).toContain(`Imported ${ids.length} runs`)
    expect((await store.listRuns({ limit: 10 })).runs.map((r) => r.run_id).sort()).toEqual([...ids].sort())

    const bad = new FormData()
    bad.set('file', new File(['{"format":"something else"}'], 'bad.json'))
    const rejected = await fetch(`${juxta.url}/history/import`, {
      method: 'POST',
      body: bad,
      headers: { origin: juxta.url },
    })
    expect(rejected.status).toBe(422)
    expect(await rejected.text()).toContain('not a Juxta runs export')
  })

  it('answers 404 with a page for an unknown run', async () => {
    const res = await fetch(`${juxta.url}/runs/doesnotexist`)
    expect(res.status).toBe(404)
    expect(await res.text()).toContain('Not found')
  })
})
