import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { buildRuntime } from '../../src/runtime.ts'

const dir = mkdtempSync(join(tmpdir(), 'juxta-study-runtime-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// Each answer takes about 2 s: a study is always mid-cell when the runtime closes.
const CONFIG = `
providers:
  demo:
    builtin: demo
    models:
      - id: slow
        price: { input: 1, output: 2 }
        simulate: { ttft_ms: 10, tokens_per_s: 50, answer_tokens: 100 }
`

describe('studies across a runtime close and start', () => {
  it('close aborts cells in flight without recording them; the next start shows the study interrupted', async () => {
    writeFileSync(join(dir, 'juxta.yaml'), CONFIG)
    const env = { PORT: '0', JUXTA_DATA_DIR: 'data' }
    const first = buildRuntime(env, { cwd: dir, log: () => {} })
    const studies = first.ctx.studies!
    const created = await studies.create({
      name: 'closing',
      prompts: [{ prompt: 'a' }, { prompt: 'b' }, { prompt: 'c' }],
      targets: ['demo/slow'],
      repeats: 1,
      concurrency: 2,
      params: {},
    })
    if (!created.ok) throw new Error(created.message)
    const events: Array<{ status: string; stop_reason: string | null; done: number }> = []
    studies.subscribe(created.study_id, (e) =>
      events.push({ status: e.status, stop_reason: e.stop_reason, done: e.progress.done }),
    )
    await new Promise((r) => setTimeout(r, 100))
    await first.close()

    const second = buildRuntime(env, { cwd: dir, log: () => {} })
    const view = await second.ctx.studies!.get(created.study_id)
    expect(view).toMatchObject({
      status: 'interrupted',
      stop_reason: 'restart',
      progress: { done: 0, cancelled: 0, pending: 3, total: 3 },
    })
    // Both cells in flight were recorded in history as runs of the study, then aborted by the close.
    const runs = await second.ctx.store!.listRuns({ limit: 10 })
    expect(runs.runs).toHaveLength(2)
    expect(runs.runs.every((r) => r.study_id === created.study_id)).toBe(true)
    // Listeners heard the study stop, and why; no cell counted as done.
    expect(events.at(-1)).toEqual({ status: 'interrupted', stop_reason: 'restart', done: 0 })
    await second.close()
  })
})
