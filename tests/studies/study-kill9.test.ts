import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { CellView, StudyView } from '../../src/studies/types.ts'
import { startServerProcess, type ServerProcess } from '../helpers/server-process.ts'

// A real Juxta process runs a study; SIGKILL mid-study; a new process finds it interrupted and resumes it.
let dir: string
const children: ChildProcess[] = []

// About 20 ms to the first token, then 20 tokens at 200/s: ~120 ms a cell, one at a time.
const CONFIG = `
providers:
  demo:
    name: Demo (simulated)
    builtin: demo
    models:
      - id: paced
        price: { input: 1, output: 2 }
        simulate: { ttft_ms: 20, tokens_per_s: 200, answer_tokens: 20 }
`

function startServer(): Promise<ServerProcess> {
  return startServerProcess({ configPath: join(dir, 'juxta.yaml'), dataDir: join(dir, 'data'), children })
}

async function json<T>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    ...init,
    headers: { 'content-type': 'application/json', origin: new URL(url).origin },
  })
  return { status: res.status, body: (await res.json()) as T }
}

async function waitFor(url: string, id: string, done: (v: StudyView) => boolean): Promise<StudyView> {
  const until = Date.now() + 30_000
  for (;;) {
    const { body } = await json<StudyView>(`${url}/api/studies/${id}`)
    if (done(body)) return body
    if (Date.now() > until) throw new Error(`study never got there: ${JSON.stringify(body.progress)}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'juxta-study-kill9-'))
  writeFileSync(join(dir, 'juxta.yaml'), CONFIG)
})

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

describe('kill -9 of Juxta in the middle of a study', () => {
  it('keeps finished cells; after restart the study is interrupted and resume runs only the missing ones', async () => {
    const first = await startServer()
    const prompts = Array.from({ length: 16 }, (_, i) => `prompt ${i}`)
    const created = await json<{ study_id: string }>(`${first.url}/api/studies`, {
      method: 'POST',
      body: JSON.stringify({ prompts, targets: ['demo/paced'], concurrency: 1 }),
    })
    expect(created.status).toBe(202)
    const id = created.body.study_id
    await waitFor(first.url, id, (v) => v.progress.done >= 3)
    first.child.kill('SIGKILL')
    await new Promise((r) => first.child.once('exit', r))

    // What the dead process had written: the finished cells and their runs.
    const db = new Database(join(dir, 'data', 'juxta.db'), { readonly: true })
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    const kept = db
      .prepare(
        "SELECT prompt_index, run_id FROM study_cells WHERE study_id = ? AND status = 'ok' ORDER BY prompt_index",
      )
      .all(id) as Array<{ prompt_index: number; run_id: string }>
    db.close()
    expect(kept.length).toBeGreaterThanOrEqual(3)
    expect(kept.length).toBeLessThan(16)

    const second = await startServer()
    const after = await json<StudyView>(`${second.url}/api/studies/${id}`)
    expect(after.body).toMatchObject({
      status: 'interrupted',
      stop_reason: 'restart',
      progress: { done: kept.length, total: 16, pending: 16 - kept.length },
    })
    const resumed = await json<StudyView>(`${second.url}/api/studies/${id}/resume`, { method: 'POST' })
    expect(resumed.status).toBe(200)
    const done = await waitFor(second.url, id, (v) => v.status !== 'running')
    expect(done).toMatchObject({ status: 'done', progress: { done: 16, ok: 16, pending: 0 } })

    // The cells finished before the kill were not run again: same runs.
    const cells = await json<{ cells: CellView[] }>(`${second.url}/api/studies/${id}/cells`)
    for (const k of kept) expect(cells.body.cells[k.prompt_index]!.run_id).toBe(k.run_id)
    second.child.kill('SIGTERM')
    await new Promise((r) => second.child.once('exit', r))

    // History: one finished run per cell, plus at most the one cut off in flight by the kill (interrupted).
    const check = new Database(join(dir, 'data', 'juxta.db'), { readonly: true })
    const runs = check
      .prepare('SELECT status, count(*) AS n FROM runs WHERE study_id = ? GROUP BY status')
      .all(id) as Array<{
      status: string
      n: number
    }>
    check.close()
    const byStatus = Object.fromEntries(runs.map((r) => [r.status, r.n]))
    expect(byStatus.done).toBe(16)
    expect(byStatus.interrupted ?? 0).toBeLessThanOrEqual(1)
    expect(Object.keys(byStatus).every((s) => s === 'done' || s === 'interrupted')).toBe(true)
  }, 60_000)
})
