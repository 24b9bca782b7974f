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
  dir = mkdtempSync(join(tmpdir(), 'juxta-follow-up-'))
  store = openSqliteRunStore(join(dir, 'juxta.db'))
  upstream = await startFakeUpstream()
  upstream.script('a', { kind: 'text', deltas: ['first', ' answer'] })
  juxta = await startJuxta({
    config: fakeConfig({
      f: {
        base_url: upstream.url,
        models: [
          { id: 'a', price: { input: 1, output: 1 } },
          { id: 'mute', price: { input: 1, output: 1 } },
        ],
      },
    }),
    store,
  })
})

afterAll(async () => {
  await juxta?.close()
  await upstream?.close()
  await store?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('a follow-up to a run that is only in history (made through the API)', () => {
  it('keeps the system prompt and the earlier turn, and the summary covers the whole conversation', async () => {
    const first = await postCompare(juxta.url, { prompt: 'Hello', system: 'You are a pirate', targets: ['f/a'] })
    expect(first.status).toBe(200)
    const seen = upstream.requests.length
    const form = new URLSearchParams([
      ['prompt', 'And then?'],
      ['targets', 'f/a'],
      ['parent', first.body.run_id],
    ])
    const res = await fetch(`${juxta.url}/runs`, { method: 'POST', body: form, headers: { origin: juxta.url } })
    const page = await res.text()
    expect(res.status).toBe(200)
    const sent = upstream.requests.slice(seen).find((r) => r.model === 'a')!.body.messages
    expect(sent).toEqual([
      { role: 'system', content: 'You are a pirate' },
      { role: 'user', content: 'Hello' },
      { role: 'assistant', content: 'first answer' },
      { role: 'user', content: 'And then?' },
    ])
    expect(page).toContain('Conversation (2 turns)')
    const second = (await store.listRuns({ limit: 1 })).runs[0]!
    expect(second.parent_id).toBe(first.body.run_id)
    expect((await store.getRun(second.run_id))!.system).toBe('You are a pirate')
  })
})

describe('the turn of a follow-up', () => {
  it("is the parent's turn + 1, also when a target gave no text in an earlier turn", async () => {
    upstream.script('mute', { kind: 'text', deltas: [] })
    const first = await postCompare(juxta.url, { prompt: 'Hello', targets: ['f/mute', 'f/a'] })
    expect(first.status).toBe(200)
    const form = new URLSearchParams([
      ['prompt', 'And then?'],
      ['targets', 'f/mute'],
      ['targets', 'f/a'],
      ['parent', first.body.run_id],
    ])
    const res = await fetch(`${juxta.url}/runs`, { method: 'POST', body: form, headers: { origin: juxta.url } })
    const page = await res.text()
    expect(res.status).toBe(200)
    const second = (await store.listRuns({ limit: 1 })).runs[0]!
    expect(second.turn).toBe(2)
    // The live page's badge says what history says.
    expect(page).toContain('<span class="badge">turn 2</span>')
  })

  it('is counted the same way for a follow-up to a run still held in memory', async () => {
    const post = async (fields: string[][]) => {
      const form = new URLSearchParams([['prompt', 'Hi'], ['targets', 'f/mute'], ['targets', 'f/a'], ...fields])
      const res = await fetch(`${juxta.url}/runs`, { method: 'POST', body: form, headers: { origin: juxta.url } })
      expect(res.status).toBe(200)
      return res.text()
    }
    const first = await post([])
    const runId = /event: done\ndata: (\S+)/.exec(first)?.[1]
    expect(runId).toBeTruthy()
    const second = await post([['parent', runId!]])
    expect(second).toContain('<span class="badge">turn 2</span>')
    const third = await post([['parent', /event: done\ndata: (\S+)/.exec(second)![1]!]])
    expect(third).toContain('<span class="badge">turn 3</span>')
  })
})
