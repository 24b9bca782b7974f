import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { buildRuntime } from '../../src/runtime.ts'
import { SqliteStudyStore } from '../../src/storage/sqlite-study-store.ts'
import type { StudyService } from '../../src/studies/types.ts'

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

  it('a cell it could not store leaves the study interrupted (error), not done; resume runs the rest', async () => {
    const here = join(dir, 'save-fails')
    mkdirSync(here)
    writeFileSync(join(here, 'juxta.yaml'), FAST_CONFIG)
    const runtime = buildRuntime({ PORT: '0', JUXTA_DATA_DIR: 'data' }, { cwd: here, log: () => {} })
    const studies = runtime.ctx.studies!
    // The store's real write, failing once as a full disk would.
    const save = vi.spyOn(SqliteStudyStore.prototype, 'saveCell').mockRejectedValueOnce(new Error('SQLITE_FULL'))
    try {
      const created = await studies.create({
        name: 'unsaved cell',
        prompts: [{ prompt: 'a' }, { prompt: 'b' }, { prompt: 'c' }],
        targets: ['demo/fast'],
        repeats: 1,
        concurrency: 1,
        params: {},
      })
      if (!created.ok) throw new Error(created.message)
      const stopped = await settled(studies, created.study_id)
      expect(stopped).toMatchObject({ status: 'interrupted', stop_reason: 'error' })
      expect(stopped.progress.pending).toBeGreaterThan(0)
      expect(await studies.resume(created.study_id)).toMatchObject({ ok: true })
      const done = await settled(studies, created.study_id)
      expect(done).toMatchObject({ status: 'done', stop_reason: null, progress: { done: 3, pending: 0, total: 3 } })
    } finally {
      save.mockRestore()
      await runtime.close()
    }
  })
})

const FAST_CONFIG = `
providers:
  demo:
    builtin: demo
    models:
      - id: fast
        price: { input: 1, output: 2 }
        simulate: { ttft_ms: 1, tokens_per_s: 5000, answer_tokens: 5 }
`

/** The study once it is no longer running (and nothing is still being written). */
async function settled(studies: StudyService, id: string) {
  for (let i = 0; i < 500; i++) {
    const view = await studies.get(id)
    if (view && view.status !== 'running') {
      await new Promise((r) => setTimeout(r, 50))
      return (await studies.get(id))!
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`study ${id} still running`)
}
