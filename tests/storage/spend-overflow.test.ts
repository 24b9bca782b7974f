import { afterAll, describe, expect, it } from 'vitest'
import { MAX_REQUEST_PICO } from '../../src/pricing/money.ts'
import { openSqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { addRun, tempDir, type Spec } from './fixtures.ts'

// Costs are integer pico-dollars; SQLite's sum() over INTEGER throws "integer overflow" past 2^63 (~$9.2M).

const tmp = tempDir()
afterAll(() => tmp.cleanup())

describe('spend sums that a plain SQL sum() cannot hold', () => {
  it('two stored $9,000,000 costs (written before costs were bounded) still give spend figures', async () => {
    const s = openSqliteRunStore(tmp.db('nine-million.db'))
    await addRun(s, 'a', '2025-01-01T00:00:00.000Z', 'a', [{ target: 'p/m', pico: 1n, ms: 1 }])
    await addRun(s, 'b', '2025-01-01T01:00:00.000Z', 'b', [{ target: 'p/m', pico: 1n, ms: 1 }])
    // What a release without the bound stored for `usage.cost: 9000000`.
    s.db.prepare('UPDATE results SET cost_pico = 9000000000000000000').run()
    expect(() => s.db.prepare('SELECT sum(cost_pico) FROM results').get()).toThrow(/integer overflow/)

    const report = await s.spend({})
    expect(report.total).toMatchObject({ cost_usd: 18_000_000, requests: 2, priced_requests: 2 })
    expect(report.providers).toEqual([expect.objectContaining({ provider: 'p', cost_usd: 18_000_000 })])
    expect(report.models[0]).toMatchObject({ target: 'p/m', cost_usd: 18_000_000, avg_cost_per_request_usd: 9_000_000 })
    expect(report.days).toEqual([
      expect.objectContaining({ day: '2025-01-01', cost_usd: 18_000_000, providers: { p: 18_000_000 } }),
    ])
    await s.close()
  })

  it('adds a thousand maximal requests of one model on one day exactly ($10,000,000, 10^19 pico-dollars)', async () => {
    const s = openSqliteRunStore(tmp.db('many.db'))
    const specs: Spec[] = Array.from({ length: 100 }, () => ({ target: 'p/m', pico: MAX_REQUEST_PICO, ms: 1 }))
    for (let i = 0; i < 10; i++) {
      await addRun(s, `r${i}`, `2025-02-01T0${i}:00:00.000Z`, `run ${i}`, specs)
    }
    expect(() => s.db.prepare('SELECT sum(cost_pico) FROM results').get()).toThrow(/integer overflow/)
    const report = await s.spend({})
    expect(report.total).toMatchObject({ cost_usd: 10_000_000, requests: 1000, priced_requests: 1000 })
    expect(report.models[0]).toMatchObject({ cost_usd: 10_000_000, avg_cost_per_request_usd: 10_000 })
    // Each run's own total is summed in BigInt too.
    const runs = (await s.listRuns({ limit: 20 })).runs
    expect(runs.map((r) => r.cost_usd)).toEqual(Array(10).fill(1_000_000))
    await s.close()
  })
})
