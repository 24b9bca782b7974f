import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openSqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { tempDir } from './fixtures.ts'

const tmp = tempDir()
afterAll(() => tmp.cleanup())

const CHILD = resolve(import.meta.dirname, 'kill9-child.ts')

describe('kill -9 in the middle of a streaming run', () => {
  it('leaves an intact database where the run is interrupted with the text received so far', async () => {
    const path = tmp.db('killed.db')
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path], {
      cwd: resolve(import.meta.dirname, '../..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
      child.on('exit', (code, signal) => done({ code, signal })),
    )
    const ready = await new Promise<{ runId: string; chars: number }>((done, fail) => {
      let out = ''
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString()
        const m = /READY (\S+) (\d+)\n/.exec(out)
        if (m) done({ runId: m[1]!, chars: Number(m[2]) })
      })
      void exited.then(() => fail(new Error(`child exited before it was ready: ${stderr}`)))
    })
    child.kill('SIGKILL')
    expect((await exited).signal).toBe('SIGKILL')
    // The committed text is in the write-ahead log the killed process never checkpointed.
    expect(existsSync(`${path}-wal`)).toBe(true)

    const logs: string[] = []
    const store = openSqliteRunStore(path, { log: (l) => logs.push(l) })
    expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok')
    expect(logs).toEqual(['history: marked 1 unfinished run(s) from an earlier start as interrupted'])
    const run = await store.getRun(ready.runId)
    expect(run).not.toBeNull()
    expect(run!.status).toBe('interrupted')
    expect(run!.prompt).toBe('Tell a very long story')
    const [long, fast] = run!.results
    expect(long!.status).toBe('interrupted')
    expect(long!.text.length).toBeGreaterThanOrEqual(ready.chars)
    expect(long!.cost).toMatchObject({ source: 'unknown', total_usd: null, reason: 'interrupted' })
    expect(long!.timing.total_ms).toBeNull()
    // The target that had finished keeps its final figures.
    expect(fast!.status).toBe('ok')
    expect(fast!.cost.total_usd).toBeGreaterThan(0)
    expect(fast!.usage.output_tokens).toBeGreaterThan(0)
    const page = await store.listRuns({ limit: 10 })
    expect(page.runs.map((r) => [r.run_id, r.status])).toEqual([[ready.runId, 'interrupted']])
    await store.close()
  })
})
