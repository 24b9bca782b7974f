import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StudyView } from '../../src/studies/types.ts'
import { type CliSandbox, cliSandbox, ensureBuilt, runJuxta } from '../helpers/cli.ts'
import { startServerProcess } from '../helpers/server-process.ts'

// `juxta` commands on the data directory of a running server: the CLI must not take the server's runs and studies
// for those of a process that died.

// About 2 s a cell, one at a time: the study is still running while the CLI starts, works and exits.
const CONFIG = `
providers:
  demo:
    name: Demo (simulated)
    builtin: demo
    models:
      - id: one
        price: { input: 1, output: 2 }
        simulate: { ttft_ms: 50, tokens_per_s: 50, answer_tokens: 100 }
      - id: two
        price: { input: 2, output: 4 }
        simulate: { ttft_ms: 50, tokens_per_s: 50, answer_tokens: 100 }
      - id: quick
        price: { input: 1, output: 2 }
        simulate: { ttft_ms: 5, tokens_per_s: 2000, answer_tokens: 10 }
`

let sandbox: CliSandbox
const children: ChildProcess[] = []

beforeAll(async () => {
  sandbox = cliSandbox(CONFIG)
  await ensureBuilt()
}, 180_000)

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  sandbox?.remove()
})

async function api<T>(url: string, path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${url}${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', origin: url },
  })
  return (await res.json()) as T
}

async function waitForStudy(url: string, id: string, ok: (v: StudyView) => boolean): Promise<StudyView> {
  const until = Date.now() + 60_000
  for (;;) {
    const view = await api<StudyView>(url, `/api/studies/${id}`)
    if (ok(view)) return view
    if (Date.now() > until) throw new Error(`study never got there: ${JSON.stringify(view)}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('the CLI beside a running server', () => {
  it('marks nothing interrupted: the study ends done and every run of it is done', async () => {
    const server = await startServerProcess({ configPath: sandbox.configPath, dataDir: sandbox.dataDir, children })
    const { study_id: id } = await api<{ study_id: string }>(server.url, '/api/studies', {
      method: 'POST',
      body: JSON.stringify({
        prompts: ['p1', 'p2', 'p3', 'p4'],
        targets: ['demo/one', 'demo/two'],
        concurrency: 1,
      }),
    })
    await waitForStudy(server.url, id, (v) => v.progress.done >= 1)

    const targets = await runJuxta(['targets'], { env: sandbox.env })
    expect(targets.code).toBe(0)
    expect(targets.stderr).not.toMatch(/interrupted|marked|unfinished/)
    // The CLI ran while the study did: what it could have cut was really in flight.
    const during = await api<StudyView>(server.url, `/api/studies/${id}`)
    expect(during.status).toBe('running')
    expect(during.progress.done).toBeLessThan(8)
    // The CLI's own compare beside the server is its own run, finished as usual.
    const ask = await runJuxta(['ask', '-t', 'demo/quick', '--json', 'hello'], { env: sandbox.env })
    expect(ask.code).toBe(0)
    expect(ask.stderr).not.toMatch(/interrupted|marked|unfinished/)
    const askRun = (JSON.parse(ask.stdout) as { run_id: string }).run_id

    const end = await waitForStudy(server.url, id, (v) => v.status !== 'running')
    expect(end).toMatchObject({ status: 'done', stop_reason: null, progress: { done: 8, ok: 8, total: 8 } })
    server.child.kill('SIGTERM')
    await new Promise((r) => server.child.once('exit', r))

    const db = new Database(join(sandbox.dataDir, 'juxta.db'), { readonly: true })
    try {
      const runs = db.prepare('SELECT status FROM runs WHERE study_id = ?').all(id) as Array<{ status: string }>
      expect(runs.map((r) => r.status)).toEqual(Array(8).fill('done'))
      const own = db.prepare('SELECT status FROM runs WHERE id = ?').get(askRun) as { status: string }
      expect(own.status).toBe('done')
    } finally {
      db.close()
    }
  }, 120_000)
})
