import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Browser } from 'playwright-core'
import { fakeConfig, type RunningJuxta } from '../helpers/juxta.ts'
import { axeViolations, watchedPage } from '../helpers/browser.ts'
import { type BrowserRig, startBrowserRig } from '../helpers/browser-rig.ts'

const ANSWER = [
  'Euler: $e^{i\\pi} + 1 = 0$, and \\(a^2 + b^2 = c^2\\). It costs $5 and $10.',
  '$$\n\\int_0^\\infty e^{-x^2}\\,dx = \\frac{\\sqrt{\\pi}}{2}\n$$',
  '\\[\n\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix} \\color{red}{x} \\href{javascript:alert(1)}{y}\n\\]',
  'Broken: $\\frac{1}{$ and `$not math$`.',
].join('\n\n')
const ARTIFACTS = resolve(import.meta.dirname, '../artifacts')

let rig: BrowserRig
let juxta: RunningJuxta
let browser: Browser

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true })
  rig = await startBrowserRig({
    name: 'math',
    setup: (upstream) => {
      upstream.script('tex', { kind: 'text', deltas: ANSWER.match(/[\s\S]{1,11}/g)!, everyMs: 10 })
      return fakeConfig({ p: { base_url: upstream.url, models: [{ id: 'tex', label: 'TeX Model' }] } })
    },
  })
  ;({ juxta, browser } = rig)
})

afterAll(async () => {
  await rig?.close()
})

describe.each(['light', 'dark'] as const)('math on the page, %s colour scheme', (colorScheme) => {
  it('draws streamed and stored formulas as MathML under the CSP, axe clean', async () => {
    const { page, watch } = await watchedPage(browser, juxta.url)
    await page.emulateMedia({ colorScheme })
    await page.goto(juxta.url)
    await page.fill('#prompt', 'Some math please')
    await page.check('input[value="p/tex"]')
    await page.click('button.send')
    await page.waitForSelector('#run-copy button', { timeout: 15_000 })

    for (const where of ['live', 'stored']) {
      const answer = page.locator('#m0')
      expect(await answer.locator('math').count(), where).toBe(4)
      expect(await answer.locator('math[display="block"]').count(), where).toBe(2)
      // Drawn by the browser's MathML engine: a real box, fractions and roots laid out.
      const box = await answer.locator('math[display="block"]').first().boundingBox()
      expect(box!.width, where).toBeGreaterThan(50)
      expect(box!.height, where).toBeGreaterThan(20)
      expect(await answer.locator('code.math-error').textContent()).toBe('$\\frac{1}{$')
      expect(await answer.locator('code:not(.math-error)').textContent()).toBe('$not math$')
      expect(await answer.textContent()).toContain('It costs $5 and $10.')
      expect(await answer.locator('[href], [src], [style]').count(), where).toBe(0)
      expect(await axeViolations(page), where).toEqual([])
      if (where === 'live') {
        await page.screenshot({ path: join(ARTIFACTS, `math-${colorScheme}.png`) })
        const runId = (await page.locator('.run').getAttribute('data-run-id'))!
        await page.goto(`${juxta.url}/runs/${runId}`)
      }
    }
    expect(watch.errors).toEqual([])
    expect(watch.dialogs).toEqual([])
    expect(watch.foreignRequests).toEqual([])
    await page.close()
  })
})
