import { chromium, type Browser, type Page } from 'playwright-core'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Debian's Chromium, headless, with every background connection off (this machine has no internet). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  })
}

export interface PageWatch {
  errors: string[]
  dialogs: string[]
  /** Every URL the page requested that is not on the app's own origin. */
  foreignRequests: string[]
  /** Requests to the app, e.g. to count POST /runs. */
  requests: Array<{ method: string; url: string }>
}

/** A page that records script errors, dialogs and any request leaving for another origin. */
export async function watchedPage(browser: Browser, origin: string): Promise<{ page: Page; watch: PageWatch }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
  const watch: PageWatch = { errors: [], dialogs: [], foreignRequests: [], requests: [] }
  page.on('pageerror', (e) => watch.errors.push(e.message))
  page.on('console', (m) => {
    if (m.type() === 'error' && !/favicon/.test(m.text())) watch.errors.push(m.text())
  })
  page.on('dialog', (d) => {
    watch.dialogs.push(d.message())
    void d.dismiss()
  })
  page.on('request', (r) => {
    const url = r.url()
    if (url.startsWith(origin) || url.startsWith('data:')) watch.requests.push({ method: r.method(), url })
    else watch.foreignRequests.push(url)
  })
  return { page, watch }
}
