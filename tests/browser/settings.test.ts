import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import type { Browser } from 'playwright-core'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { launchBrowser, watchedPage } from '../helpers/browser.ts'

const KEY = 'browser-key-0123456789abcdef-W7X2'
/** Chromium logs every 4xx answer; the 422s for the invalid inputs typed on purpose are expected. */
const unexpected = (errors: string[]) => errors.filter((e) => !/status of 422/.test(e))

let upstream: FakeUpstream
let juxta: RunningJuxta
let browser: Browser

beforeAll(async () => {
  upstream = await startFakeUpstream()
  upstream.script('chat', { kind: 'text', deltas: ['Hello', ' from', ' acme'], everyMs: 20 })
  juxta = await startJuxta({
    config: {
      run: { max_retries: 0, connect_timeout_ms: 5000 },
      providers: {
        acme: {
          name: 'Acme AI',
          base_url: upstream.url,
          models: [{ id: 'chat', label: 'Acme Chat', price: { input: 1, output: 2 } }],
        },
      },
    },
  })
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
  await juxta?.close()
  await upstream?.close()
})

describe('the settings page in a browser', () => {
  it('sets a key, the target becomes ready and runs, then the key is deleted', async () => {
    const { page, watch } = await watchedPage(browser, juxta.url)
    await page.goto(`${juxta.url}/`)
    expect(await page.locator('input[value="acme/chat"]').isDisabled()).toBe(true)
    // Providers that need a key are folded away under the ready ones.
    await page.click('details.needs-key > summary')
    await page.click('fieldset[data-provider="acme"] a.add-key')
    await page.waitForURL(/\/settings#provider-acme$/)
    const card = page.locator('#provider-acme')
    expect(await card.locator('[data-key-status]').textContent()).toContain('key missing')

    // A bad key shows an error in the card (hx-status:4xx) and keeps what was typed in the field only.
    await page.fill('#key-acme', 'not a key')
    await card.locator('.key-form button').click()
    await page.waitForSelector('#errors-acme .form-errors')
    expect(await page.locator('#errors-acme').textContent()).toContain('printable ASCII')

    await page.fill('#key-acme', KEY)
    await card.locator('.key-form button').click()
    await page.waitForSelector('#provider-acme [data-key-status="stored"]')
    expect(await page.locator('#provider-acme [data-key-status]').textContent()).toContain('key stored ••••W7X2')
    expect(await page.inputValue('#key-acme')).toBe('')
    expect(await page.content()).not.toContain(KEY)

    await page.click('#provider-acme button.test')
    await page.waitForSelector('#test-acme .test-result')
    expect(await page.locator('#test-acme .test-result').getAttribute('data-status')).toBe('ok')

    mkdirSync('tests/artifacts', { recursive: true })
    await page.screenshot({ path: 'tests/artifacts/settings.png', fullPage: true })

    // On the compare page the target is ready now, and it runs with the stored key.
    await page.click('nav a[href="/"]')
    await page.waitForSelector('#compare-form')
    const box = page.locator('input[value="acme/chat"]')
    expect(await box.isDisabled()).toBe(false)
    await box.check()
    await page.fill('#prompt', 'Say hello')
    await page.click('button.send')
    await page.waitForSelector('#summary table', { timeout: 15_000 })
    expect(await page.locator('[data-target="acme/chat"] .status-ok').count()).toBe(1)
    expect(await page.locator('[data-target="acme/chat"] .answer').textContent()).toContain('Hello from acme')
    const chat = upstream.requests.filter((r) => r.path.endsWith('/chat/completions'))
    expect(chat.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`)

    // Delete the key: the provider needs a key again, and the target is disabled.
    await page.goto(`${juxta.url}/settings`)
    await page.click('#provider-acme button.delete-key')
    await page.waitForSelector('#provider-acme [data-key-status="missing"]')
    expect(await page.locator('#provider-acme .notice').textContent()).toContain('Stored key deleted')
    await page.goto(`${juxta.url}/`)
    expect(await page.locator('input[value="acme/chat"]').isDisabled()).toBe(true)

    expect(unexpected(watch.errors)).toEqual([])
    expect(watch.foreignRequests).toEqual([])
    await page.close()
  })

  it('adds a custom provider from the form; it appears at once', async () => {
    const { page, watch } = await watchedPage(browser, juxta.url)
    await page.goto(`${juxta.url}/settings`)
    await page.fill('#new-id', 'bad id')
    await page.fill('#new-base_url', upstream.url)
    await page.fill('#new-models', 'chat')
    await page.click('#add-provider-form button[type="submit"]')
    await page.waitForSelector('#add-errors .form-errors')
    expect(await page.locator('#add-errors').textContent()).toContain('provider ids use a-z')

    await page.fill('#new-id', 'local-box')
    await page.fill('#new-name', 'Local box')
    await page.check('#add-provider-form input[name="no_key"]')
    await page.click('#add-provider-form button[type="submit"]')
    await page.waitForSelector('#provider-local-box')
    expect(await page.locator('#provider-local-box [data-key-status]').textContent()).toContain('key not needed')
    expect(await page.locator('#settings > .notice').textContent()).toContain('Added local-box.')
    // The add form is fresh again.
    expect(await page.inputValue('#new-id')).toBe('')

    await page.goto(`${juxta.url}/`)
    expect(await page.locator('input[value="local-box/chat"]').isDisabled()).toBe(false)
    expect(unexpected(watch.errors)).toEqual([])
    await page.close()
  })
})

describe('a token-protected Juxta in a browser', () => {
  it('shows the login form, logs in with a cookie, and htmx requests carry it', async () => {
    const token = 'browser-access-token-0123456789abcdef'
    const locked = await startJuxta({
      config: { providers: { acme: { name: 'Acme AI', base_url: upstream.url, models: ['chat'] } } },
      access: { authToken: token, allowedHosts: [] },
    })
    const { page, watch } = await watchedPage(browser, locked.url)
    try {
      const first = await page.goto(`${locked.url}/settings`)
      expect(first?.status()).toBe(401)
      await page.fill('#token', 'wrong-token')
      await page.click('.login-form button')
      await page.waitForSelector('.login-form .form-errors')
      await page.fill('#token', token)
      await page.click('.login-form button')
      await page.waitForURL(`${locked.url}/settings`)
      expect(await page.locator('h1').textContent()).toBe('Settings')
      const cookies = await page.context().cookies()
      const auth = cookies.find((c) => c.name === 'juxta_auth')!
      expect(auth.httpOnly).toBe(true)
      expect(auth.sameSite).toBe('Strict')
      expect(auth.value).not.toContain(token)
      // An htmx request made by the page is authenticated by the cookie.
      await page.fill('#key-acme', KEY)
      await page.locator('#provider-acme .key-form button').click()
      await page.waitForSelector('#provider-acme [data-key-status="stored"]')
      // Logging out drops the cookie: the next page is the login form again.
      await page.click('form.logout button')
      await page.waitForSelector('.login-form')
      expect((await page.goto(`${locked.url}/`))?.status()).toBe(401)
      expect(unexpected(watch.errors).filter((e) => !/status of 401/.test(e))).toEqual([])
    } finally {
      await page.close()
      await locked.close()
    }
  })
})
