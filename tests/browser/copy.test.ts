import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { fakeConfig, type RunningJuxta } from '../helpers/juxta.ts'
import { axeViolations } from '../helpers/browser.ts'
import { type BrowserRig, startBrowserRig } from '../helpers/browser-rig.ts'

const CODE = 'const total = a | b\nconsole.log(`<b>${total}</b>`)'
const ARTIFACTS = resolve(import.meta.dirname, '../artifacts')
const ANSWER = `# Result\n\nSome **bold** and $x^2$.\n\n\`\`\`js\n${CODE}\n\`\`\`\n\nDone <i>here</i>.\n`

let rig: BrowserRig
let juxta: RunningJuxta
let browser: Browser

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true })
  rig = await startBrowserRig({
    name: 'copy',
    setup: (upstream) => {
      upstream.script('md', { kind: 'text', deltas: ANSWER.match(/[\s\S]{1,9}/g)!, everyMs: 10 })
      upstream.script('slow', { kind: 'text', deltas: 30, everyMs: 60 })
      return fakeConfig({
        p: {
          base_url: upstream.url,
          models: [
            { id: 'md', label: 'Markdown Model', price: { input: 1, output: 2 } },
            { id: 'slow', label: 'Slow Model' },
          ],
        },
      })
    },
  })
  ;({ juxta, browser } = rig)
})

afterAll(async () => {
  await rig?.close()
})

async function clipboardPage(colorScheme: 'light' | 'dark'): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ colorScheme, viewport: { width: 1400, height: 1000 } })
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: juxta.url })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text())
  })
  return { page, errors }
}

/** Moves the focus with the Tab key alone until it reaches `selector` (at most 200 presses). */
async function tabTo(page: Page, selector: string): Promise<void> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
  for (let i = 0; i < 200; i++) {
    await page.keyboard.press('Tab')
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return
  }
  throw new Error(`Tab never reached ${selector}`)
}

/** Tab to a copy button, press Enter, and return what landed on the clipboard once the page said "Copied". */
async function copyByKeyboard(page: Page, selector: string): Promise<string> {
  await page.evaluate(async () => {
    await navigator.clipboard.writeText('(empty)')
    document.getElementById('announce')!.textContent = ''
  })
  await tabTo(page, selector)
  await page.keyboard.press('Enter')
  await page.waitForFunction(() => document.getElementById('announce')?.textContent === 'Copied', null, {
    timeout: 5000,
  })
  return page.evaluate(() => navigator.clipboard.readText())
}

async function checkCopies(page: Page, runId: string): Promise<void> {
  const col = '#c0'
  expect(await copyByKeyboard(page, `${col} .code-block button.copy-button`)).toBe(CODE)
  expect(await copyByKeyboard(page, `${col} .col-actions button.copy-button`)).toBe(ANSWER)
  const whole = await copyByKeyboard(page, '#run-copy button.copy-button')
  expect(whole).toBe(await (await fetch(`${juxta.url}/runs/${runId}/markdown`)).text())
  expect(whole.startsWith('## Prompt\n\n> Copy this\n')).toBe(true)
  expect(whole).toMatch(/\n\| Markdown Model \(p\/md\) \| done \| .+ \| \$[\d.]+ \|\n/)
  expect(whole).toContain(`\n## Markdown Model (p/md)\n\n${ANSWER}`)
  expect(whole).toContain('\n## Slow Model (p/slow)\n\n')
}

describe.each(['light', 'dark'] as const)('copy buttons, %s colour scheme', (colorScheme) => {
  it('copy a code block, an answer and the whole run by keyboard, live and from history, axe clean', async () => {
    const { page, errors } = await clipboardPage(colorScheme)
    await page.goto(juxta.url)
    await page.fill('#prompt', 'Copy this')
    await page.check('input[value="p/md"]')
    await page.check('input[value="p/slow"]')
    await page.click('button.send')

    // A column's button appears when that column is done; the run's when the whole run is.
    await page.waitForSelector('#c0 .col-actions button.copy-button', { timeout: 15_000 })
    expect(await page.locator('#c1[data-status="running"]').count()).toBe(1)
    expect(await page.locator('#c1 .col-actions button.copy-button').count()).toBe(0)
    expect(await page.locator('#run-copy button').count()).toBe(0)
    await page.waitForSelector('#run-copy button.copy-button', { timeout: 15_000 })
    const runId = (await page.locator('.run').getAttribute('data-run-id'))!
    await checkCopies(page, runId)
    expect(await axeViolations(page)).toEqual([])

    await page.goto(`${juxta.url}/runs/${runId}`)
    await page.screenshot({ path: join(ARTIFACTS, `copy-${colorScheme}.png`) })
    await checkCopies(page, runId)
    expect(await axeViolations(page)).toEqual([])
    expect(errors).toEqual([])
    await page.context().close()
  })
})

describe('copy failures', () => {
  it('says "Copy failed" when the answer cannot be fetched, and copies nothing', async () => {
    const { page } = await clipboardPage('light')
    await page.goto(juxta.url)
    await page.fill('#prompt', 'Copy this')
    await page.check('input[value="p/md"]')
    await page.click('button.send')
    await page.waitForSelector('#run-copy button.copy-button', { timeout: 15_000 })
    await page.evaluate(async () => {
      await navigator.clipboard.writeText('untouched')
      document.querySelector('#run-copy button')!.setAttribute('data-copy-src', '/runs/nope/markdown')
    })
    await tabTo(page, '#run-copy button')
    await page.keyboard.press('Enter')
    await page.waitForFunction(() => document.getElementById('announce')?.textContent === 'Copy failed')
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('untouched')
    await page.context().close()
  })
})
