import { afterAll, describe, expect, it } from 'vitest'
import { runListQuerySchema, spendQuerySchema } from '../../src/storage/run-query.ts'
import { seedRuns } from '../../src/storage/seed.ts'
import { openSqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { tempDir } from './fixtures.ts'

// Listing, search, filters, spend and deleting are store behaviour: tests/storage/contract/run-store-contract.ts
// runs them against SQLite and PostgreSQL alike.

const tmp = tempDir()
afterAll(() => tmp.cleanup())

describe('history query strings', () => {
  it('reads query strings with whole-day UTC bounds', () => {
    const q = runListQuerySchema.parse({ from: '2025-03-02', to: '2025-03-02', target: 'demo/fast', limit: '10' })
    expect(q.from!.toISOString()).toBe('2025-03-02T00:00:00.000Z')
    expect(q.to!.toISOString()).toBe('2025-03-03T00:00:00.000Z')
    expect(q).toMatchObject({ targets: ['demo/fast'], limit: 10 })
    const instant = spendQuerySchema.parse({ to: '2025-03-02T10:00:00+02:00' })
    expect(instant.to!.toISOString()).toBe('2025-03-02T08:00:00.001Z')
    expect(runListQuerySchema.safeParse({ from: '2025-03-03', to: '2025-03-02' }).success).toBe(false)
  })
})

describe('seedRuns', () => {
  it('inserts n searchable runs in one go, deterministically', async () => {
    const a = openSqliteRunStore(tmp.db('seed-a.db'))
    const b = openSqliteRunStore(tmp.db('seed-b.db'))
    const now = Date.parse('2025-06-01T00:00:00Z')
    const idsA = seedRuns(a, 300, { now, seed: 7 })
    seedRuns(b, 300, { now, seed: 7 })
    expect(new Set(idsA).size).toBe(300)
    const pageA = await a.listRuns({ limit: 20, page: 1 })
    const pageB = await b.listRuns({ limit: 20, page: 1 })
    expect(pageA.total).toBe(300)
    expect(pageA.runs.map((r) => r.prompt)).toEqual(pageB.runs.map((r) => r.prompt))
    expect(pageA.runs.every((r) => r.targets.length >= 2 && r.targets.length <= 4)).toBe(true)
    const hits = await a.listRuns({ limit: 200, q: 'sqlite' })
    expect(hits.runs.length).toBeGreaterThan(0)
    expect(hits.runs.every((r) => r.prompt.toLowerCase().includes('sqlite'))).toBe(true)
    expect((await a.spend({})).total.requests).toBe(a.db.prepare('SELECT count(*) FROM results').pluck().get())
    await a.close()
    await b.close()
  })
})
