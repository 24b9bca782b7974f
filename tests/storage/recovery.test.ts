import { afterAll, describe, expect, it } from 'vitest'
import { buildRequest } from '../../src/engine/run-service.ts'
import { openSqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { harness, tempDir } from './fixtures.ts'

const tmp = tempDir()
afterAll(() => tmp.cleanup())

describe('recovery sweep at start', () => {
  it('marks runs left running as interrupted, keeps their text and leaves finished runs alone', async () => {
    const path = tmp.db('recovery.db')
    const h = harness(path)
    const done = await h.run({ prompt: 'finished before the crash', targets: ['demo/fast'] })

    const recorder = h.recorder
    const request = buildRequest({ prompt: 'cut short', targets: ['demo/fast', 'demo/thinker'], params: {} })
    recorder.started(request, { prompt: 'cut short', system: null, parent_id: null })
    recorder.event(request.run_id, { type: 'delta', index: 0, kind: 'text', text: 'The first half' })
    recorder.event(request.run_id, { type: 'delta', index: 1, kind: 'reasoning', text: 'Thinking about' })
    recorder.event(request.run_id, { type: 'retry', index: 1, attempt: 2, wait_ms: 10, reason: '503' })
    await recorder.flush()
    expect((await h.store.getRun(request.run_id))!.status).toBe('running')
    await h.store.close()

    const logs: string[] = []
    const reopened = openSqliteRunStore(path, { log: (l) => logs.push(l) })
    expect(logs).toEqual(['history: marked 1 unfinished run(s) from an earlier start as interrupted'])
    expect(reopened.db.pragma('integrity_check', { simple: true })).toBe('ok')
    // What recovery keeps (text, reasoning, attempts, unknown cost) is store behaviour: see the contract suite.
    const run = await reopened.getRun(request.run_id)
    expect(run!.status).toBe('interrupted')
    expect(run!.results.map((r) => [r.status, r.text])).toEqual([
      ['interrupted', 'The first half'],
      ['interrupted', ''],
    ])

    const untouched = await reopened.getRun(done.run_id)
    expect(untouched!.status).toBe('done')
    expect(untouched!.results).toEqual(done.results)
    // A second start finds nothing left to recover.
    expect(await reopened.recoverInterrupted()).toBe(0)
    await reopened.close()
  })
})
