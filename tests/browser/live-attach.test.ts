import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import type { Browser } from 'playwright-core'
import { type RedisServer, startRedis } from '../helpers/redis-server.ts'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { axeViolations, launchBrowser, watchedPage } from '../helpers/browser.ts'
import { openSqliteRunStore, type SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'

const DELTAS = 100

let redisServer: RedisServer
let upstream: FakeUpstream
let store: SqliteRunStore
let dir: string
let browser: Browser
const instances: RunningJuxta[] = []
const clients: Redis[] = []

async function instance(instanceId: string): Promise<RunningJuxta> {
  const redis = new Redis(redisServer.url)
  redis.on('error', () => {})
  clients.push(redis)
  const juxta = await startJuxta({
    config: fakeConfig({ p: { base_url: upstream.url, models: ['slow'] } }),
    store,
    live: { redis, prefix: 'browser:', instanceId },
  })
  instances.push(juxta)
  return juxta
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'juxta-live-attach-'))
  store = openSqliteRunStore(join(dir, 'juxta.db'), { log: () => {} })
  ;[redisServer, upstream, browser] = await Promise.all([startRedis(), startFakeUpstream(), launchBrowser()])
  upstream.script('slow', { kind: 'text', deltas: DELTAS, everyMs: 100 })
})

afterAll(async () => {
  await browser?.close()
  for (const j of instances) {
    await j.close()
    await j.ctx.live.close()
  }
  for (const c of clients) c.disconnect()
  await upstream?.close()
  await store?.close()
  await redisServer?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('the run page of a run on another instance', () => {
  it('shows the text as it arrives, and carries on after a reload mid-run', async () => {
    const a = await instance('a')
    const b = await instance('b')
    const res = await fetch(`${a.url}/api/compare`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'Count slowly', targets: ['p/slow'], stream: true }),
    })
    const ended = res.text()
    let runId = ''
    await expect
      .poll(async () => (runId = (await store.listRuns({ limit: 1, page: 1 })).runs[0]?.run_id ?? ''), {
        timeout: 5000,
      })
      .not.toBe('')

    const { page, watch } = await watchedPage(browser, b.url)
    await page.goto(`${b.url}/runs/${runId}`)
    // The words the column shows (its rendered blocks, then its tail), by number: w1, w2, …
    const numbers = async () => {
      const shown = await page.locator('#m0, #t0').allTextContents()
      return [...shown.join(' ').matchAll(/w(\d+)/g)].map((m) => Number(m[1]))
    }
    const words = async () => Math.max(0, ...(await numbers()))
    // Shown once each, in order: nothing replayed twice, nothing skipped.
    const inOrder = async () => {
      const n = await numbers()
      expect(n).toEqual(Array.from({ length: n.length }, (_, i) => i + 1))
    }
    // Text arrives live: more words than the page first showed, before the run is over.
    const first = await words()
    await expect.poll(words, { timeout: 10_000 }).toBeGreaterThan(first + 3)
    expect(await words()).toBeLessThan(DELTAS)
    await inOrder()
    expect(await axeViolations(page)).toEqual([])

    await page.reload()
    const afterReload = await words()
    expect(afterReload).toBeLessThan(DELTAS)
    await expect.poll(words, { timeout: 10_000 }).toBeGreaterThan(afterReload)
    await inOrder()
    await expect.poll(words, { timeout: 20_000 }).toBe(DELTAS)
    await expect.poll(() => page.locator('#run-state').textContent(), { timeout: 5000 }).toBe('Done')
    expect(await page.locator('#stop').count()).toBe(0)
    const answer = (await page.locator('#m0').textContent()) ?? ''
    expect(answer.trim()).toBe(Array.from({ length: DELTAS }, (_, i) => `w${i + 1}`).join(' '))
    await ended
    // One attach per load, no reconnect loop; nothing failed in the page.
    const attaches = watch.requests.filter((r) => r.url.endsWith(`/runs/${runId}/live`))
    expect(attaches).toHaveLength(2)
    expect(watch.errors).toEqual([])
    expect(watch.foreignRequests).toEqual([])
    await page.emulateMedia({ colorScheme: 'dark' })
    expect(await axeViolations(page)).toEqual([])
    await page.close()
  })
})
