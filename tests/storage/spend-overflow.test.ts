import { afterAll, describe, expect, it } from 'vitest'
import { openSqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { addRun, tempDir } from './fixtures.ts'

// Costs are integer pico-dollars; SQLite's sum() over INTEGER throws "integer overflow" past 2^63 (~$9.2M).
// The contract suite adds 10^19 pico-dollars through the store's API; this is the raw SQLite side.

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
})
