import { afterAll, describe, expect, it } from 'vitest'
import { openSqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import type { NewRun } from '../../src/storage/types.ts'
import { tempDir } from './fixtures.ts'

const tmp = tempDir()
afterAll(() => tmp.cleanup())

const newRun = (id: string): NewRun => ({
  run_id: id,
  created_at: new Date(),
  prompt: `prompt of ${id}`,
  system: null,
  params: {},
  parent_id: null,
  images: [],
  study_id: null,
  targets: [{ target: 'demo/fast', label: 'fast' }],
})

describe('SqliteRunStore transactions', () => {
  it('rolls a failed write back alone in a batch, on one transaction wrapper reused batch after batch', async () => {
    const store = openSqliteRunStore(tmp.db('batches.db'))
    for (let batch = 0; batch < 3; batch++) {
      const outcomes: Array<Promise<void>> = []
      store.inTransaction(() => {
        outcomes.push(store.startRun(newRun(`a${batch}`)))
        // The same id again: refused by the database, its savepoint undone, the batch goes on.
        outcomes.push(store.startRun(newRun(`a${batch}`)))
        outcomes.push(store.startRun(newRun(`b${batch}`)))
        outcomes.push(store.finishRun(`b${batch}`, new Date()))
      })
      const settled = await Promise.allSettled(outcomes)
      expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled'])
      expect(store.db.inTransaction).toBe(false)
      const a = await store.getRun(`a${batch}`)
      expect(a!.status).toBe('running')
      expect(a!.results.map((r) => r.status)).toEqual(['running'])
      expect((await store.getRun(`b${batch}`))!.status).toBe('done')
    }
    expect(store.db.prepare('SELECT count(*) FROM runs').pluck().get()).toBe(6)
    await store.close()
  })

  it('rolls back the whole batch when it throws', async () => {
    const store = openSqliteRunStore(tmp.db('throws.db'))
    expect(() =>
      store.inTransaction(() => {
        void store.startRun(newRun('gone'))
        throw new Error('commit refused')
      }),
    ).toThrow('commit refused')
    expect(store.db.inTransaction).toBe(false)
    expect(await store.getRun('gone')).toBeNull()
    await store.startRun(newRun('kept'))
    expect((await store.getRun('kept'))!.status).toBe('running')
    await store.close()
  })
})
