import axe from 'axe-core'
import { chromium, type Browser, type Page } from 'playwright-core'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Debian's Chromium, headless, with every background connection off (this machine has no internet). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
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

interface Violation {
  id: string
  impact: string | null
  help: string
  nodes: Array<{ target: unknown[]; failureSummary?: string }>
}

/**
 * axe-core with the rules it enables by default (WCAG 2 A/AA and best practices), plus "exactly one h1": every
 * violation, one line per element, so a failure names what to fix. Folded parts are opened first. axe's source
 * is evaluated through the DevTools protocol (page.evaluate), which the page's CSP does not govern, so the page
 * is checked under its real, strict CSP (no bypassCSP).
 */
export async function axeViolations(page: Page): Promise<string[]> {
  // Folded parts (reasoning, providers that need a key, options) are checked opened too.
  await page.evaluate(() =>
    document.querySelectorAll('details').forEach((d) => {
      d.open = true
    }),
  )
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axe.source)
  const result = (await page.evaluate(async () => {
    const w = window as unknown as { axe: { run: (ctx: Document) => Promise<{ violations: unknown[] }> } }
    return (await w.axe.run(document)).violations
  })) as Violation[]
  const h1s = await page.locator('h1').count()
  return [
    ...result.flatMap((v) =>
      v.nodes.map((n) => `${v.id} (${v.impact}) ${JSON.stringify(n.target)}: ${n.failureSummary ?? v.help}`),
    ),
    // axe only asks for at least one; every page here has exactly one.
    ...(h1s === 1 ? [] : [`${h1s} h1 elements; every page has exactly one`]),
  ]
}
