import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { readSSE } from '../helpers/sse.ts'
import { startServerProcess, type ServerProcess } from '../helpers/server-process.ts'

// The real server process, a real streaming run over HTTP, a real SIGKILL, a real restart.
let dir: string
const children: ChildProcess[] = []

const CONFIG = `
providers:
  demo:
    name: Demo (simulated)
    builtin: demo
    models:
      - id: slow
        price: { input: 1, output: 2 }
        simulate: { ttft_ms: 50, tokens_per_s: 40, answer_tokens: 2000 }
`

function startServer(): Promise<ServerProcess> {
  return startServerProcess({ configPath: join(dir, 'juxta.yaml'), dataDir: join(dir, 'data'), children })
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'juxta-kill9-server-'))
  writeFileSync(join(dir, 'juxta.yaml'), CONFIG)
})

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

describe('kill -9 of the server in the middle of a streaming run', () => {
  it('leaves an intact database; after restart the run is interrupted with the text received so far', async () => {
    const first = await startServer()
    const res = await fetch(`${first.url}/api/compare`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: first.url },
      body: JSON.stringify({ prompt: 'A long one, please', targets: ['demo/slow'], stream: true }),
    })
    let runId = ''
    let received = ''
    const started = performance.now()
    for await (const frame of readSSE(res.body!)) {
      if (frame.event === 'run') runId = JSON.parse(frame.data).run_id
      if (frame.event === 'delta') received += JSON.parse(frame.data).text
      // Past two history flushes (every 500 ms), well before the ~50 s answer ends.
      if (performance.now() - started > 1500 && received.length > 100) break
    }
    first.child.kill('SIGKILL')
    await new Promise((r) => first.child.once('exit', r))

    const db = new Database(join(dir, 'data', 'juxta.db'), { readonly: true })
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    db.close()

    const second = await startServer()
    const run = await (await fetch(`${second.url}/api/runs/${runId}`)).json()
    expect(run.status).toBe('interrupted')
    expect(run.results[0].status).toBe('interrupted')
    const stored: string = run.results[0].text
    expect(stored.length).toBeGreaterThan(50)
    // What history kept is what the client had seen (minus at most the last unflushed half second).
    expect(received.startsWith(stored)).toBe(true)
    // An unfinished run's cost is unknown, never $0.
    expect(run.results[0].cost.total_usd).toBeNull()
    second.child.kill('SIGTERM')
  }, 60_000)
})
