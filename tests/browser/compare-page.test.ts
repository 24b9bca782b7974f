import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import type { Browser } from 'playwright-core'
import { startFakeUpstream, waitFor, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { launchBrowser, watchedPage } from '../helpers/browser.ts'

const MARKDOWN = [
  '# Plan\n\n',
  'Some **bold** ',
  'text.\n\n',
  '```js\n',
  'const x = 1 < 2\n',
  '```\n\n',
  '- one\n',
  '- two\n',
]

let upstream: FakeUpstream
let juxta: RunningJuxta
let browser: Browser

beforeAll(async () => {
  upstream = await startFakeUpstream()
  // quick: cheapest and fastest. slow: dear and slow. thinker: reasoning first, in between.
  upstream.script('quick', { kind: 'text', deltas: MARKDOWN, everyMs: 60 })
  upstream.script('slow', { kind: 'text', deltas: 40, everyMs: 60 })
  upstream.script('thinker', { kind: 'text', reasoning: 8, deltas: 10, everyMs: 60 })
  upstream.script('broken', {
    kind: 'status',
    status: 500,
    body: { error: { message: 'upstream exploded', type: 'server_error' } },
  })
  upstream.script('endless', { kind: 'endless', mode: 'deltas', everyMs: 40 })
  juxta = await startJuxta({
    config: fakeConfig({
      alpha: {
        base_url: upstream.url,
        models: [
          { id: 'quick', label: 'Alpha Quick', price: { input: 1, output: 2 } },
          { id: 'endless', price: { input: 1, output: 1 } },
        ],
      },
      beta: {
        base_url: upstream.url,
        models: [
          { id: 'slow', label: 'Beta Slow', price: { input: 10, output: 30 } },
          { id: 'broken', price: { input: 1, output: 1 } },
        ],
      },
      gamma: {
        base_url: upstream.url,
        models: [{ id: 'thinker', label: 'Gamma Thinker', price: { input: 3, output: 6 } }, { id: 'unpriced' }],
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

async function openAndPick(targets: string[], prompt: string) {
  const { page, watch } = await watchedPage(browser, juxta.url)
  await page.goto(juxta.url)
  await page.fill('#prompt', prompt)
  for (const t of targets) await page.check(`input[name="targets"][value="${t}"]`)
  return { page, watch }
}

describe('the compare page', () => {
  it('streams three columns side by side, then shows a correct summary', async () => {
    const { page, watch } = await openAndPick(['alpha/quick', 'beta/slow', 'gamma/thinker'], 'Plan a trip')
    await page.click('button.send')

    // While streaming: quick has text, slow is still going and has only part of its answer.
    await page.waitForFunction(() => {
      const slow = document.querySelector('[data-target="beta/slow"]')
      const text = slow?.querySelector('.answer')?.textContent ?? ''
      return text.includes('w3') && !text.includes('w40')
    })
    expect(await page.locator('[data-target="beta/slow"] .status-running').count()).toBe(1)
    expect(await page.locator('.col').count()).toBe(3)
    // The send button is disabled for the whole stream (hx-disable).
    expect(await page.locator('button.send').isDisabled()).toBe(true)
    const liveThinker = await page.locator('[data-target="gamma/thinker"] .reasoning-text').textContent()
    expect(liveThinker).toContain('r1')

    await page.waitForSelector('#summary table', { timeout: 15_000 })
    expect(await page.locator('.status-ok').count()).toBe(3)

    // Markdown rendered and sanitized; the code block is highlighted.
    const quick = page.locator('[data-target="alpha/quick"] .answer')
    // The model's "# Plan" is an h4 under the column's h3: the page keeps its one h1.
    expect(await quick.locator('h4.md-h1').textContent()).toBe('Plan')
    expect(await page.locator('h1').count()).toBe(1)
    expect(await quick.locator('strong').textContent()).toBe('bold')
    expect(await quick.locator('pre code.language-js').textContent()).toContain('const x = 1 < 2')
    expect(await quick.locator('li').count()).toBe(2)

    // Full texts arrived.
    expect(await page.locator('[data-target="beta/slow"] .answer').textContent()).toContain('w40')
    expect(await page.locator('[data-target="gamma/thinker"] .reasoning-text').textContent()).toContain('r8')

    // Summary: one row per target, cheapest and fastest are the quick one, multiples relative to it.
    const rows = page.locator('.summary-table tbody tr')
    expect(await rows.count()).toBe(3)
    expect(await page.locator('tr.cheapest').getAttribute('data-target')).toBe('alpha/quick')
    expect(await page.locator('tr.fastest').getAttribute('data-target')).toBe('alpha/quick')
    // quick: 11 in × $1 + 8 out × $2 = $0.000027; slow: 11 × 10 + 40 × 30 = $0.00131
    expect(await page.locator('tr[data-target="alpha/quick"] .cost-total').textContent()).toBe('$0.000027')
    expect(await page.locator('tr[data-target="beta/slow"] .cost-total').textContent()).toBe('$0.00131')
    const slowMultiple = await page.locator('tr[data-target="beta/slow"] td').nth(9).textContent()
    expect(slowMultiple).toBe('48.5×')
    // Per-column final figures are shown with their source.
    expect(await page.locator('[data-target="alpha/quick"] .stats.final').textContent()).toContain(
      'config: alpha/quick',
    )

    // Sorting by cost puts the dearest first on the second click.
    await page.click('button.sort[data-sort-key="cost"]')
    await page.click('button.sort[data-sort-key="cost"]')
    expect(await rows.first().getAttribute('data-target')).toBe('beta/slow')

    mkdirSync('tests/artifacts', { recursive: true })
    await page.screenshot({ path: 'tests/artifacts/three-column-run.png', fullPage: true })
    expect(watch.errors).toEqual([])
    expect(watch.foreignRequests).toEqual([])
    // One POST for the whole run: no reconnects that could re-run paid calls.
    expect(watch.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/runs'))).toHaveLength(1)
    await page.close()
  })

  it('keeps a failing target in its own column', async () => {
    const { page, watch } = await openAndPick(['alpha/quick', 'beta/broken', 'gamma/unpriced'], 'Hello')
    await page.click('button.send')
    await page.waitForSelector('#summary table', { timeout: 15_000 })
    const broken = page.locator('[data-target="beta/broken"]')
    expect(await broken.locator('.status-error').count()).toBe(1)
    expect(await broken.locator('.error-box').textContent()).toContain('upstream exploded')
    expect(await page.locator('[data-target="alpha/quick"] .status-ok').count()).toBe(1)
    // A model without a price says so, in words, never $0.
    const unpriced = page.locator('[data-target="gamma/unpriced"] .stats')
    expect(await unpriced.textContent()).toContain('unknown')
    expect(await unpriced.textContent()).not.toContain('$0')
    expect(watch.errors).toEqual([])
    await page.close()
  })

  it('Stop aborts the upstream requests and keeps the partial text', async () => {
    const { page } = await openAndPick(['alpha/endless', 'alpha/quick'], 'Go on forever')
    const before = upstream.aborts
    await page.click('button.send')
    await page.waitForFunction(
      () => (document.querySelector('[data-target="alpha/endless"] .answer')?.textContent ?? '').length > 20,
    )
    await page.click('#stop')
    await page.waitForSelector('[data-target="alpha/endless"] .status-cancelled', { timeout: 10_000 })
    expect(await waitFor(() => upstream.aborts > before, 3000)).toBe(true)
    expect((await page.locator('[data-target="alpha/endless"] .answer').textContent())!.length).toBeGreaterThan(20)
    await page.waitForSelector('#summary table')
    // A stopped run says so rather than "Done".
    expect(await page.locator('#run-state').textContent()).toBe('Stopped')
    await page.close()
  })

  it('stops upstream work when the page goes away mid-run', async () => {
    const { page } = await openAndPick(['alpha/endless'], 'Then close the tab')
    const before = upstream.aborts
    await page.click('button.send')
    await page.waitForFunction(
      () => (document.querySelector('[data-target="alpha/endless"] .answer')?.textContent ?? '').length > 20,
    )
    await page.close()
    expect(await waitFor(() => upstream.aborts > before, 3000)).toBe(true)
  })

  it('continues each column with its own conversation on a follow-up', async () => {
    const { page } = await openAndPick(['alpha/quick', 'gamma/thinker'], 'First question')
    await page.click('button.send')
    await page.waitForSelector('.followup textarea', { timeout: 15_000 })
    const seen = upstream.requests.length
    await page.fill('.followup textarea', 'Second question')
    await page.keyboard.press('Control+Enter')
    await page.waitForSelector('.run-prompt:has-text("Second question")')
    await page.waitForSelector('#summary table', { timeout: 15_000 })
    const followups = upstream.requests.slice(seen).filter((r) => r.path.endsWith('/chat/completions'))
    expect(followups).toHaveLength(2)
    const quick = followups.find((r) => r.model === 'quick')!.body.messages
    const thinker = followups.find((r) => r.model === 'thinker')!.body.messages
    expect(quick.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant', 'user'])
    expect(quick[1]!.content).toContain('# Plan')
    expect(thinker[1]!.content).toContain('w10')
    expect(thinker[1]!.content).not.toContain('# Plan')
    expect(quick[2]!.content).toBe('Second question')
    // The summary covers the whole conversation as well.
    expect(await page.locator('.summary-table thead').textContent()).toContain('Conversation (2 turns)')
    await page.close()
  })

  it('re-renders the form with a message on invalid input and loses nothing', async () => {
    const { page } = await openAndPick([], 'Keep this text')
    for (const box of await page.locator('input[name="targets"]:checked').all()) await box.uncheck()
    await page.click('button.send')
    await page.waitForSelector('#form-errors .form-errors')
    expect(await page.locator('#form-errors').textContent()).toContain('pick at least one target')
    expect(await page.inputValue('#prompt')).toBe('Keep this text')
    await page.close()
  })
})
