import { describe, expect, it } from 'vitest'
import { buildRequest } from '../../../src/engine/run-service.ts'
import { RunSlots } from '../../../src/engine/run-slots.ts'
import { StoreRecorder } from '../../../src/storage/recorder.ts'
import { isStoreUnavailable } from '../../../src/storage/unavailable.ts'
import { until } from '../fixtures.ts'
import { usePostgres } from './pg-fixtures.ts'

// The recorder while PostgreSQL is away: writes are kept in order and written once it is back; past a memory
// bound, new runs wait (RunSlots says why) instead of growing the process until it dies.

const postgres = usePostgres()

describe('recording while PostgreSQL is away', () => {
  it('keeps every write until the database is back, and holds new runs past its memory bound', async () => {
    const { pool, store } = await postgres.fresh('outage')
    const logs: string[] = []
    const recorder = new StoreRecorder(store, {
      log: (l) => logs.push(l),
      flushMs: 20,
      retryable: isStoreUnavailable,
      retryMaxMs: 200,
      maxKeptBytes: 10_000,
    })
    const slots = new RunSlots(8, () => recorder.holdNewRuns())
    const start = (prompt: string) => {
      const request = buildRequest({ prompt, targets: ['demo/fast'], params: {} })
      recorder.started(request, { prompt, system: null, parent_id: null })
      return request.run_id
    }

    await postgres.server().kill()
    const first = start('a'.repeat(6000))
    recorder.event(first, { type: 'delta', index: 0, kind: 'text', text: 'kept while away' })
    await until(async () => logs.some((l) => l.includes('the database is unavailable')))
    expect(slots.tryAcquire()).not.toBeNull()
    const second = start('b'.repeat(6000))
    // 12,000 bytes kept (once the start is queued, by the end of this tick), over the 10,000 allowed: the next
    // run waits, and says why.
    await until(async () => recorder.holdNewRuns())
    expect(slots.tryAcquire()).toBeNull()
    expect(slots.busyMessage()).toContain('the history database is unavailable')

    await postgres.server().start()
    await recorder.flush()
    expect(logs.some((l) => l.includes('the database is back'))).toBe(true)
    expect(slots.tryAcquire()).not.toBeNull()
    const first_ = await store.getRun(first)
    expect(first_?.prompt).toBe('a'.repeat(6000))
    expect(first_?.results[0]?.text).toBe('kept while away')
    expect((await store.getRun(second))?.prompt).toBe('b'.repeat(6000))
    expect(logs.filter((l) => l.includes('could not save'))).toEqual([])
    await pool.end()
  })
})
