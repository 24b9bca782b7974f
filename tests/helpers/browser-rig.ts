import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { openSqliteRunStore, type SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { launchBrowser } from './browser.ts'
import { type FakeUpstream, startFakeUpstream } from './fake-upstream.ts'
import { type JuxtaOptions, type RunningJuxta, startJuxta } from './juxta.ts'

/** What most browser tests start with: Juxta with history in a temporary directory, a scripted upstream, Chromium. */
export interface BrowserRig {
  upstream: FakeUpstream
  juxta: RunningJuxta
  browser: Browser
  store: SqliteRunStore
  close(): Promise<void>
}

export interface BrowserRigOptions {
  /** Names the temporary data directory (`juxta-<name>-…`). */
  name: string
  /** Scripts the upstream and returns the app's config: the upstream's address is known only now. */
  setup: (upstream: FakeUpstream) => JuxtaOptions['config'] | Promise<JuxtaOptions['config']>
  /** More of the app's context (a preset store, an access token…), built on the run store. */
  context?: (store: SqliteRunStore) => Omit<JuxtaOptions, 'config' | 'store'>
}

export async function startBrowserRig(options: BrowserRigOptions): Promise<BrowserRig> {
  const dir = mkdtempSync(join(tmpdir(), `juxta-${options.name}-`))
  const store = openSqliteRunStore(join(dir, 'juxta.db'), { log: () => {} })
  const upstream = await startFakeUpstream()
  const config = await options.setup(upstream)
  const juxta = await startJuxta({ config, store, ...options.context?.(store) })
  const browser = await launchBrowser()
  return {
    upstream,
    juxta,
    browser,
    store,
    close: async () => {
      await browser.close()
      await juxta.close()
      await upstream.close()
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
