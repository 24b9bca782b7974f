import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { buildRuntime, type Runtime } from '../src/runtime.ts'

// Recovery of unfinished runs and studies at start, guarded by the process lease in the data directory.
const root = mkdtempSync(join(tmpdir(), 'juxta-runtime-lease-'))
const children: ChildProcess[] = []
let n = 0

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL')
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

const CONFIG = `
providers:
  demo:
    builtin: demo
    models:
      - id: quick
        price: { input: 1, output: 2 }
        simulate: { ttft_ms: 5, tokens_per_s: 2000, answer_tokens: 10 }
      - id: paced
        price: { input: 1, output: 2 }
        simulate: { ttft_ms: 20, tokens_per_s: 200, answer_tokens: 20 }
`

function sandbox(): { cwd: string; env: Record<string, string>; db: string; processes: string } {
  const cwd = join(root, `s${n++}`)
  mkdirSync(cwd)
  writeFileSync(join(cwd, 'juxta.yaml'), CONFIG)
  return {
    cwd,
    env: { PORT: '0', JUXTA_DATA_DIR: 'data' },
    db: join(cwd, 'data', 'juxta.db'),
    processes: join(cwd, 'data', 'processes'),
  }
}

function start(s: { cwd: string; env: Record<string, string> }, logs: string[] = []): Runtime {
  return buildRuntime(s.env, { cwd: s.cwd, log: (line) => logs.push(line) })
}

async function runStudy(rt: Runtime, prompts: string[], target: string): Promise<string> {
  const created = await rt.ctx.studies!.create({
    name: 'lease',
    prompts: prompts.map((prompt) => ({ prompt })),
    targets: [target],
    repeats: 1,
    concurrency: 1,
    params: {},
  })
  if (!created.ok) throw new Error(created.message)
  return created.study_id
}

async function waitForStatus(rt: Runtime, id: string, status: string): Promise<void> {
  const until = Date.now() + 20_000
  for (;;) {
    const view = await rt.ctx.studies!.get(id)
    if (view?.status === status) return
    if (Date.now() > until) throw new Error(`study never ${status}: ${JSON.stringify(view)}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** A finished one-cell study, then its study and run rows set back to `running`, as a process that died leaves them. */
async function leftRunning(s: ReturnType<typeof sandbox>): Promise<string> {
  const first = start(s)
  const id = await runStudy(first, ['hello'], 'demo/quick')
  await waitForStatus(first, id, 'done')
  await first.close()
  const db = new Database(s.db)
  db.prepare("UPDATE studies SET status = 'running', finished_at = NULL WHERE id = ?").run(id)
  db.prepare("UPDATE runs SET status = 'running' WHERE study_id = ?").run(id)
  db.close()
  return id
}

function statuses(s: ReturnType<typeof sandbox>, id: string): { study: string; runs: string[] } {
  const db = new Database(s.db, { readonly: true })
  try {
    const study = db.prepare('SELECT status FROM studies WHERE id = ?').get(id) as { status: string }
    const runs = db.prepare('SELECT status FROM runs WHERE study_id = ?').all(id) as Array<{ status: string }>
    return { study: study.status, runs: runs.map((r) => r.status) }
  } finally {
    db.close()
  }
}

function plantEntry(dir: string, pid: number): string {
  mkdirSync(dir, { recursive: true })
  const name = `${pid}-00000000-0000-4000-8000-000000000000.json`
  writeFileSync(join(dir, name), JSON.stringify({ pid, started_at: '2026-01-01T00:00:00.000Z' }))
  return name
}

describe('recovery at start and the process lease', () => {
  it('a stale lease (its pid is dead) stops no recovery: unfinished runs and studies end interrupted', async () => {
    const s = sandbox()
    const id = await leftRunning(s)
    const gone = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
    await new Promise((r) => gone.once('exit', r))
    const stale = plantEntry(s.processes, gone.pid!)

    const logs: string[] = []
    const rt = start(s, logs)
    expect(logs).toEqual([
      'history: marked 1 unfinished run(s) from an earlier start as interrupted',
      'studies: marked 1 unfinished study as interrupted',
    ])
    expect(statuses(s, id)).toEqual({ study: 'interrupted', runs: ['interrupted'] })
    expect(existsSync(join(s.processes, stale))).toBe(false)
    expect(readdirSync(s.processes)).toHaveLength(1)
    await rt.close()
    expect(readdirSync(s.processes)).toEqual([])
  })

  it('beside another live process nothing is recovered or said; once it is gone, the next start recovers', async () => {
    const s = sandbox()
    const id = await leftRunning(s)
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' })
    children.push(other)
    plantEntry(s.processes, other.pid!)

    const besideLogs: string[] = []
    const beside = start(s, besideLogs)
    expect(besideLogs).toEqual([])
    expect(statuses(s, id)).toEqual({ study: 'running', runs: ['running'] })
    await beside.close()

    other.kill('SIGKILL')
    await new Promise((r) => other.once('exit', r))
    const logs: string[] = []
    const alone = start(s, logs)
    expect(logs).toHaveLength(2)
    expect(statuses(s, id)).toEqual({ study: 'interrupted', runs: ['interrupted'] })
    await alone.close()
  })

  it('two runtimes open on one data directory in one process: the second recovers nothing of the first', async () => {
    const s = sandbox()
    const first = start(s)
    const id = await runStudy(first, ['a', 'b', 'c', 'd'], 'demo/paced')
    await new Promise((r) => setTimeout(r, 150))
    const logs: string[] = []
    const second = start(s, logs)
    await second.close()
    expect(logs).toEqual([])
    await waitForStatus(first, id, 'done')
    expect(statuses(s, id)).toEqual({ study: 'done', runs: ['done', 'done', 'done', 'done'] })
    await first.close()
  })

  it('a study whose runner finished every cell ends done though another process marked it interrupted', async () => {
    const s = sandbox()
    const rt = start(s)
    const id = await runStudy(rt, ['a', 'b', 'c', 'd'], 'demo/paced')
    // What an older Juxta's recovery in another process wrote while this one was running the study.
    const db = new Database(s.db)
    db.prepare("UPDATE studies SET status = 'interrupted', stop_reason = 'restart' WHERE id = ?").run(id)
    db.close()
    await waitForStatus(rt, id, 'done')
    const view = await rt.ctx.studies!.get(id)
    expect(view).toMatchObject({ status: 'done', stop_reason: null, progress: { done: 4, ok: 4, total: 4 } })
    await rt.close()
  })
})
