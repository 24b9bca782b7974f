import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, postCompare, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { openSqliteRunStore, type SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'

let upstream: FakeUpstream
let juxta: RunningJuxta
let store: SqliteRunStore
let dir: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'juxta-spend-page-'))
  store = openSqliteRunStore(join(dir, 'juxta.db'))
  upstream = await startFakeUpstream()
  juxta = await startJuxta({ config: fakeConfig({ local: { base_url: upstream.url, models: ['text:4'] } }), store })
})

afterAll(async () => {
  await juxta?.close()
  await upstream?.close()
  await store?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('the spend page', () => {
  it('says "unknown" for requests without a price, never $0', async () => {
    expect((await postCompare(juxta.url, { prompt: 'free?', targets: ['local/text:4'] })).status).toBe(200)
    const report = await (await fetch(`${juxta.url}/api/spend`)).json()
    expect(report.total).toMatchObject({ cost_usd: null, requests: 1, unknown_cost_requests: 1 })
    expect(report.providers[0]).toMatchObject({ provider: 'local', cost_usd: null })
    const html = await (await fetch(`${juxta.url}/spend`)).text()
    expect(html).toContain('Unknown cost')
    expect(html).not.toMatch(/\$0(?![.\d])/)
  })
})
