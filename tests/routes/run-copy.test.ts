import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { openSqliteRunStore, type SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'

const ANSWER = '# Title\n\n```js\nconst a = 1 | 2\n```\n\n$x^2$ <b>raw</b>\n'

let upstream: FakeUpstream
let store: SqliteRunStore
let dir: string
const servers: RunningJuxta[] = []

const config = () =>
  fakeConfig({
    p: {
      base_url: upstream.url,
      models: [{ id: 'md', price: { input: 1, output: 2 } }, 'fails'],
    },
  })

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'juxta-run-copy-'))
  store = openSqliteRunStore(join(dir, 'juxta.db'), { log: () => {} })
  upstream = await startFakeUpstream()
  upstream.script('md', { kind: 'text', deltas: [ANSWER.slice(0, 10), ANSWER.slice(10)], everyMs: 5 })
  upstream.script('fails', { kind: 'status', status: 401, body: { error: { message: 'bad key' } } })
})

afterAll(async () => {
  for (const s of servers) await s.close()
  await upstream?.close()
  await store?.close()
  rmSync(dir, { recursive: true, force: true })
})

async function runOnce(juxta: RunningJuxta): Promise<string> {
  const res = await fetch(`${juxta.url}/runs`, {
    method: 'POST',
    headers: { origin: juxta.url },
    body: new URLSearchParams([
      ['prompt', 'Copy | me'],
      ['targets', 'p/md'],
      ['targets', 'p/fails'],
    ]),
  })
  const body = await res.text()
  expect(body).toContain('data-copy-src="/runs/')
  return body.match(/data-run-id="([^"]+)"/)![1]!
}

describe('copy routes', () => {
  it('serve an answer raw and the run as Markdown, from memory, then from history after a restart', async () => {
    const first = await startJuxta({ config: config(), store })
    servers.push(first)
    const runId = await runOnce(first)
    const check = async (juxta: RunningJuxta) => {
      const answer = await fetch(`${juxta.url}/runs/${runId}/answers/0`)
      expect(answer.status).toBe(200)
      expect(answer.headers.get('content-type')).toBe('text/plain; charset=utf-8')
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff')
      expect(await answer.text()).toBe(ANSWER)
      expect(await (await fetch(`${juxta.url}/runs/${runId}/answers/1`)).text()).toBe('')
      const md = await (await fetch(`${juxta.url}/runs/${runId}/markdown`)).text()
      expect(md.startsWith('## Prompt\n\n> Copy | me\n')).toBe(true)
      expect(md).toMatch(/\n\| md \(p\/md\) \| done \| [^|]+ \| [^|]+ \| \d+ \| \d+ \| \$[\d.]+ \|\n/)
      expect(md).toMatch(/\n\| fails \(p\/fails\) \| failed \| .* \| unknown \([^)]+\) \|\n/)
      expect(md).toContain(`## md (p/md)\n\n${ANSWER}`)
      expect(md).toContain('## fails (p/fails)\n\n_failed: auth')
    }
    await check(first)
    // A new process has no run in memory: the same text comes from the database.
    const second = await startJuxta({ config: config(), store })
    servers.push(second)
    await check(second)
  })

  it('answers 404 for an unknown run, target index or malformed id', async () => {
    const juxta = await startJuxta({ config: config(), store })
    servers.push(juxta)
    const runId = await runOnce(juxta)
    for (const path of [
      `/runs/${runId}/answers/7`,
      '/runs/nope/answers/0',
      '/runs/nope/markdown',
      '/runs/a.b/markdown',
    ]) {
      expect((await fetch(`${juxta.url}${path}`)).status, path).toBe(404)
    }
  })
})
