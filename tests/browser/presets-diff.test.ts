import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { fakeConfig, type RunningJuxta } from '../helpers/juxta.ts'
import { axeViolations, watchedPage } from '../helpers/browser.ts'
import { SqlitePresetStore } from '../../src/storage/sqlite-preset-store.ts'
import { type BrowserRig, startBrowserRig } from '../helpers/browser-rig.ts'

let rig: BrowserRig
let juxta: RunningJuxta
let browser: Browser

beforeAll(async () => {
  rig = await startBrowserRig({
    name: 'presets-diff',
    setup: (upstream) => {
      upstream.script('a', { kind: 'text', deltas: ['SQLite is ', 'small and ', 'fast.'] })
      upstream.script('b', { kind: 'text', deltas: ['SQLite is ', 'tiny and ', 'fast.'] })
      upstream.script('c', { kind: 'text', deltas: ['Postgres is ', 'big and ', 'fast.'] })
      return fakeConfig({ f: { base_url: upstream.url, models: ['a', 'b', 'c'] } })
    },
    context: (store) => ({ presets: new SqlitePresetStore(store.db) }),
  })
  ;({ juxta, browser } = rig)
})

afterAll(async () => {
  await rig?.close()
})

describe.each(['light', 'dark'] as const)('presets and differences, %s colour scheme', (colorScheme) => {
  it('saves the form as a preset, loads it after a reload, renames and deletes it, all from the keyboard', async () => {
    const { page, watch } = await watchedPage(browser, juxta.url)
    await page.emulateMedia({ colorScheme })
    const name = `Morning ${colorScheme}`
    await page.goto(juxta.url)
    await page.fill('#prompt', 'Which database for a <b>small</b> app?')
    await page.click('details.options summary')
    await page.fill('#system', 'Answer in one line')
    await page.fill('#temperature', '0.4')
    await page.fill('#max_tokens', '120')
    await page.check('input[value="f/a"]')
    await page.check('input[value="f/c"]')
    await page.focus('#preset-name')
    await page.keyboard.press('Enter')
    await page.waitForSelector('#preset-status.preset-error')
    expect(await page.textContent('#preset-status')).toBe('Not saved: give the preset a name.')
    // The field to fix keeps the focus; the message is its description and an alert.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('preset-name')
    await page.keyboard.type(name)
    await page.keyboard.press('Enter')
    await page.waitForFunction((n) => document.querySelector('#preset-status')?.textContent === `Saved “${n}”.`, name)
    // The status takes the focus, so the outcome is read out.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('preset-status')
    expect(await axeViolations(page)).toEqual([])

    await page.goto(juxta.url)
    expect(await page.inputValue('#prompt')).toBe('')
    await page.selectOption('#preset-select', { label: name })
    await page.focus('.preset-load button[type="submit"]')
    await Promise.all([page.waitForURL(/\?preset=\d+/), page.keyboard.press('Enter')])
    expect(await page.inputValue('#prompt')).toBe('Which database for a <b>small</b> app?')
    expect(await page.inputValue('#system')).toBe('Answer in one line')
    expect(await page.inputValue('#temperature')).toBe('0.4')
    expect(await page.inputValue('#max_tokens')).toBe('120')
    expect(await page.isChecked('input[value="f/a"]')).toBe(true)
    expect(await page.isChecked('input[value="f/b"]')).toBe(false)
    expect(await page.isChecked('input[value="f/c"]')).toBe(true)
    expect(await page.textContent('#preset-status')).toBe(`Loaded “${name}”.`)
    expect(await axeViolations(page)).toEqual([])

    // A preset whose only target is gone loads with no target ticked, not with the last selection remembered.
    const gone = await fetch(`${juxta.url}/api/presets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: juxta.url },
      body: JSON.stringify({ name: `Gone ${colorScheme}`, prompt: 'p', targets: ['old/model'] }),
    })
    const goneId = ((await gone.json()) as { id: number }).id
    await page.goto(`${juxta.url}/?preset=${goneId}`)
    expect(await page.locator('#compare-form input[name="targets"]:checked').count()).toBe(0)
    expect(await page.textContent('#preset-status')).toContain('except the target old/model')
    expect(await axeViolations(page)).toEqual([])
    await page.goto(
      `${juxta.url}/?preset=${await page.$eval('#preset-select', (s) => {
        const options = [...(s as HTMLSelectElement).options]
        return options.find((o) => o.text.startsWith('Morning'))!.value
      })}`,
    )

    const renamed = `${name} (renamed)`
    await page.fill('#preset-name', renamed)
    await page.focus('#presets button[hx-post="/presets/rename"]')
    await page.keyboard.press('Enter')
    await page.waitForFunction(
      (t) => document.querySelector('#preset-status')?.textContent === t,
      `Renamed “${name}” to “${renamed}”.`,
    )
    expect(await page.$eval('#preset-select', (s) => (s as HTMLSelectElement).selectedOptions[0]?.text)).toBe(renamed)

    await page.focus('.preset-load button.danger')
    await page.keyboard.press('Enter')
    await page.waitForFunction(
      (n) => document.querySelector('#preset-status')?.textContent === `Deleted “${n}”.`,
      renamed,
    )
    expect(await page.locator('#preset-select option', { hasText: name }).count()).toBe(0)
    expect(await axeViolations(page)).toEqual([])
    // Chromium logs the refused save (422) as a failed resource; nothing else may fail.
    expect(watch.errors.filter((e) => !/status of 422/.test(e))).toEqual([])
    await page.close()
  })

  it('picks two columns of a finished run by keyboard and shows their differences and similarity', async () => {
    const { page, watch } = await watchedPage(browser, juxta.url)
    await page.emulateMedia({ colorScheme })
    await page.goto(juxta.url)
    await page.fill('#prompt', 'Which database?')
    for (const t of ['f/a', 'f/b', 'f/c']) await page.check(`input[value="${t}"]`)
    await page.click('button.send')
    await page.waitForSelector('#diff form', { timeout: 15_000 })
    await page.focus('#diff select[name="a"]')
    await page.keyboard.press('ArrowDown')
    await page.keyboard.press('Tab')
    await page.keyboard.press('ArrowDown')
    expect(await page.inputValue('#diff select[name="a"]')).toBe('1')
    expect(await page.inputValue('#diff select[name="b"]')).toBe('2')
    await page.keyboard.press('Tab')
    await page.keyboard.press('Enter')
    await page.waitForSelector('#diff-result ins')
    // "SQLite is tiny and fast." against "Postgres is big and fast.": 3 words of 5 in common on each side.
    expect(await page.locator('#diff-result .diff-text del').allTextContents()).toEqual([
      'deleted: SQLite',
      'deleted: tiny',
    ])
    expect(await page.locator('#diff-result .diff-text ins').allTextContents()).toEqual([
      'inserted: Postgres',
      'inserted: big',
    ])
    expect(await page.textContent('#diff-result .diff-similarity')).toBe(
      '60% similar (words in common: 2 × 3 / (5 + 5 words))',
    )
    // Marked without colour too: struck through and underlined.
    expect(await page.$eval('#diff-result .diff-text del', (e) => getComputedStyle(e).textDecorationLine)).toBe(
      'line-through',
    )
    expect(await page.$eval('#diff-result .diff-text ins', (e) => getComputedStyle(e).textDecorationLine)).toBe(
      'underline',
    )
    expect(await axeViolations(page)).toEqual([])
    expect(watch.errors).toEqual([])
    await page.close()
  })
})
