import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { picoToUsd } from '../../src/pricing/money.ts'
import { runListQuerySchema, spendQuerySchema } from '../../src/storage/run-query.ts'
import { seedRuns } from '../../src/storage/seed.ts'
import { openSqliteRunStore, type SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { addRun, tempDir } from './fixtures.ts'

const tmp = tempDir()
afterAll(() => tmp.cleanup())

let store: SqliteRunStore
const ids = (runs: Array<{ run_id: string }>) => runs.map((r) => r.run_id)

beforeAll(async () => {
  store = openSqliteRunStore(tmp.db('queries.db'))
  await addRun(store, 'r1', '2025-03-01T10:00:00.000Z', 'How does SQLite WAL mode work?', [
    { target: 'demo/fast', pico: 1_300_000n, ms: 900 },
    { target: 'openai/gpt-x', pico: 25_000_000n, ms: 400 },
  ])
  await addRun(store, 'r2', '2025-03-02T23:59:59.999Z', 'Write a haiku about Postgres', [
    { target: 'demo/fast', pico: 700_000n, ms: 300 },
    { target: 'ollama/llama', pico: null, ms: 200 },
  ])
  await addRun(store, 'r3', '2025-03-03T00:00:00.000Z', 'Résumé tips: 100% honest_advice', [
    { target: 'openai/gpt-x', status: 'error', pico: null, ms: 50 },
    { target: 'demo/fast', pico: 2_000_000n, ms: 1500 },
  ])
  await addRun(store, 'r4', '2025-03-05T12:00:00.000Z', 'Explain the Go GC', [
    { target: 'demo/thinker', pico: 123_456_789n, ms: 700 },
  ])
  await addRun(
    store,
    'r5',
    '2025-03-06T08:00:00.000Z',
    'Still streaming',
    [{ target: 'demo/fast', pico: null, ms: 0 }],
    { running: true },
  )
})
afterAll(() => store.close())

describe('listing runs', () => {
  it('lists newest first with keyset pages that cover every run once', async () => {
    expect(ids((await store.listRuns({ limit: 50 })).runs)).toEqual(['r5', 'r4', 'r3', 'r2', 'r1'])
    const seen: string[] = []
    let cursor: string | undefined
    do {
      const page = await store.listRuns({ limit: 2, cursor })
      seen.push(...ids(page.runs))
      cursor = page.next_cursor ?? undefined
    } while (cursor)
    expect(seen).toEqual(['r5', 'r4', 'r3', 'r2', 'r1'])
  })

  it('orders by start time, not by insertion, and pages through runs of the same millisecond', async () => {
    const s = openSqliteRunStore(tmp.db('order.db'))
    await addRun(s, 'b', '2025-01-02T00:00:00.000Z', 'sqlite second', [{ target: 'a/b', pico: 1n, ms: 1 }])
    await addRun(s, 'a', '2025-01-01T00:00:00.000Z', 'sqlite first (imported later)', [
      { target: 'a/b', pico: 1n, ms: 1 },
    ])
    for (const id of ['t1', 't2', 't3']) {
      await addRun(s, id, '2025-01-03T00:00:00.000Z', `sqlite twin ${id}`, [{ target: 'a/b', pico: 1n, ms: 1 }])
    }
    expect(ids((await s.listRuns({ limit: 10 })).runs)).toEqual(['t3', 't2', 't1', 'b', 'a'])
    expect(ids((await s.listRuns({ limit: 10, q: 'sqlite' })).runs)).toEqual(['t3', 't2', 't1', 'b', 'a'])
    for (const q of [undefined, 'sqlite']) {
      const seen: string[] = []
      let cursor: string | undefined
      do {
        const page = await s.listRuns({ limit: 2, cursor, q })
        seen.push(...ids(page.runs))
        cursor = page.next_cursor ?? undefined
      } while (cursor)
      expect(seen).toEqual(['t3', 't2', 't1', 'b', 'a'])
    }
    await s.close()
  })

  it('counts pages in page mode', async () => {
    const page = await store.listRuns({ limit: 2, page: 2 })
    expect(ids(page.runs)).toEqual(['r3', 'r2'])
    expect(page).toMatchObject({ page: 2, total: 5, pages: 3 })
    expect((await store.listRuns({ limit: 2, page: 9 })).runs).toEqual([])
  })

  it('summarises cost, unknowns, cheapest and fastest from exact integer sums', async () => {
    const runs = new Map((await store.listRuns({ limit: 50 })).runs.map((r) => [r.run_id, r]))
    expect(runs.get('r1')).toMatchObject({
      prompt: 'How does SQLite WAL mode work?',
      prompt_truncated: false,
      status: 'done',
      cost_usd: picoToUsd(26_300_000n),
      cost_unknown: 0,
      cheapest: { target: 'demo/fast', cost_usd: picoToUsd(1_300_000n) },
      fastest: { target: 'openai/gpt-x', total_ms: 400 },
    })
    expect(runs.get('r1')!.targets.map((t) => t.target)).toEqual(['demo/fast', 'openai/gpt-x'])
    expect(runs.get('r2')).toMatchObject({
      cost_usd: picoToUsd(700_000n),
      cost_unknown: 1,
      fastest: { target: 'ollama/llama' },
    })
    // A failed target is neither cheapest nor fastest.
    expect(runs.get('r3')).toMatchObject({
      cheapest: { target: 'demo/fast' },
      fastest: { target: 'demo/fast' },
      cost_unknown: 1,
    })
    expect(runs.get('r5')).toMatchObject({
      status: 'running',
      cost_usd: null,
      cost_unknown: 1,
      cheapest: null,
      fastest: null,
    })
  })

  it('truncates long prompts in the list only', async () => {
    const long = `${'x'.repeat(1000)} tail`
    await addRun(store, 'long', '2020-01-01T00:00:00.000Z', long, [{ target: 'demo/fast', pico: 1n, ms: 1 }])
    const row = (await store.listRuns({ limit: 1, to: new Date('2020-01-02T00:00:00Z') })).runs[0]!
    expect(row.prompt).toBe('x'.repeat(300))
    expect(row.prompt_truncated).toBe(true)
    expect((await store.getRun('long'))!.prompt).toBe(long)
    await store.deleteRun('long')
  })
})

describe('search and filters', () => {
  const search = async (q: string) => ids((await store.listRuns({ limit: 50, q })).runs)

  it('finds substrings of the prompt, case- and accent-insensitive, all terms required', async () => {
    expect(await search('sqlite')).toEqual(['r1'])
    expect(await search('WAL  sqlite')).toEqual(['r1'])
    expect(await search('wal postgres')).toEqual([])
    expect(await search('"haiku about"')).toEqual(['r2'])
    expect(await search('"about haiku"')).toEqual([])
    expect(await search('resume')).toEqual(['r3'])
    expect(await search('gres')).toEqual(['r2'])
  })

  it('handles short terms and special characters literally', async () => {
    expect(await search('QL')).toEqual(['r1'])
    expect(await search('Go')).toEqual(['r4'])
    expect(await search('ai')).toEqual(['r4', 'r2'])
    expect(await search('%')).toEqual(['r3'])
    expect(await search('_a')).toEqual(['r3'])
    expect(await search('100%')).toEqual(['r3'])
  })

  it('never lets search text become SQL or FTS syntax', async () => {
    expect(await search('sqlite" OR "haiku')).toEqual([])
    expect(await search('NEAR(sqlite wal) * ^')).toEqual([])
    expect(await search("'; DROP TABLE runs; --")).toEqual([])
    expect(await search('"')).toEqual([])
    expect(await search('""')).toHaveLength(5)
    expect((await store.listRuns({ limit: 50 })).runs).toHaveLength(5)
  })

  it('filters by target (any of several) and by period', async () => {
    const list = async (q: Parameters<SqliteRunStore['listRuns']>[0]) => ids((await store.listRuns(q)).runs)
    expect(await list({ limit: 50, targets: ['ollama/llama'] })).toEqual(['r2'])
    expect(await list({ limit: 50, targets: ['ollama/llama', 'openai/gpt-x'] })).toEqual(['r3', 'r2', 'r1'])
    expect(
      await list({ limit: 50, from: new Date('2025-03-02T00:00:00Z'), to: new Date('2025-03-03T00:00:00Z') }),
    ).toEqual(['r2'])
    expect(await list({ limit: 50, q: 'fast OR', targets: ['demo/fast'] })).toEqual([])
    expect(
      await list({ limit: 50, q: 'tips', targets: ['demo/fast'], from: new Date('2025-03-03T00:00:00Z') }),
    ).toEqual(['r3'])
  })

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

describe('spend', () => {
  it('sums per provider, model and day exactly, leaving running targets out', async () => {
    const report = await store.spend({ from: new Date('2025-03-01T00:00:00Z'), to: new Date('2025-03-06T00:00:00Z') })
    expect(report.total).toEqual({
      cost_usd: picoToUsd(1_300_000n + 25_000_000n + 700_000n + 2_000_000n + 123_456_789n),
      requests: 7,
      priced_requests: 5,
      unknown_cost_requests: 2,
    })
    expect(report.providers).toEqual([
      {
        provider: 'demo',
        cost_usd: picoToUsd(127_456_789n),
        requests: 4,
        priced_requests: 4,
        unknown_cost_requests: 0,
      },
      {
        provider: 'openai',
        cost_usd: picoToUsd(25_000_000n),
        requests: 2,
        priced_requests: 1,
        unknown_cost_requests: 1,
      },
      { provider: 'ollama', cost_usd: null, requests: 1, priced_requests: 0, unknown_cost_requests: 1 },
    ])
    const fast = report.models.find((m) => m.target === 'demo/fast')!
    expect(fast).toMatchObject({
      provider: 'demo',
      model: 'fast',
      label: 'fast',
      requests: 3,
      cost_usd: picoToUsd(4_000_000n),
    })
    expect(fast.avg_cost_per_request_usd).toBe(picoToUsd(1_333_333n))
    expect(report.models.find((m) => m.target === 'ollama/llama')!.avg_cost_per_request_usd).toBeNull()
    expect(report.days.map((d) => d.day)).toEqual([
      '2025-03-01',
      '2025-03-02',
      '2025-03-03',
      '2025-03-04',
      '2025-03-05',
    ])
    expect(report.days[0]).toMatchObject({
      cost_usd: picoToUsd(26_300_000n),
      requests: 2,
      providers: { demo: picoToUsd(1_300_000n), openai: picoToUsd(25_000_000n) },
    })
    expect(report.days[3]).toEqual({
      day: '2025-03-04',
      cost_usd: 0,
      requests: 0,
      priced_requests: 0,
      unknown_cost_requests: 0,
      providers: {},
    })
    const all = await store.spend({})
    expect(all.total.requests).toBe(7)
    expect(all.days.map((d) => d.day)).toEqual(['2025-03-01', '2025-03-02', '2025-03-03', '2025-03-04', '2025-03-05'])
  })

  it('adds in integers: $0.1 + $0.2 is exactly $0.3', async () => {
    const s = openSqliteRunStore(tmp.db('exact.db'))
    await addRun(s, 'a', '2025-01-01T00:00:00.000Z', 'a', [{ target: 'p/m', pico: 100_000_000_000n, ms: 1 }])
    await addRun(s, 'b', '2025-01-01T01:00:00.000Z', 'b', [{ target: 'p/m', pico: 200_000_000_000n, ms: 1 }])
    expect(0.1 + 0.2).not.toBe(0.3)
    expect((await s.spend({})).total.cost_usd).toBe(0.3)
    expect((await s.listRuns({ limit: 5 })).runs.map((r) => r.cost_usd)).toEqual([0.2, 0.1])
    await s.close()
  })
})

describe('deleting', () => {
  it('deletes a run with its follow-ups, refuses while one runs, and reports unknown ids', async () => {
    const s = openSqliteRunStore(tmp.db('delete.db'))
    await addRun(s, 'root', '2025-01-01T00:00:00.000Z', 'first turn', [{ target: 'p/m', pico: 1n, ms: 1 }])
    await addRun(s, 'child', '2025-01-01T00:01:00.000Z', 'second turn', [{ target: 'p/m', pico: 1n, ms: 1 }], {
      parent: 'root',
    })
    await addRun(s, 'grandchild', '2025-01-01T00:02:00.000Z', 'third turn', [{ target: 'p/m', pico: 1n, ms: 1 }], {
      parent: 'child',
    })
    await addRun(s, 'other', '2025-01-02T00:00:00.000Z', 'unrelated turn', [{ target: 'p/m', pico: 1n, ms: 1 }])
    await addRun(s, 'busy', '2025-01-02T00:01:00.000Z', 'streaming follow-up', [{ target: 'p/m', pico: 1n, ms: 1 }], {
      parent: 'other',
      running: true,
    })
    expect(await s.getRun('grandchild')).toMatchObject({ conversation_id: 'root', turn: 3, parent_id: 'child' })

    expect(await s.deleteRun('child')).toEqual({ status: 'deleted', run_ids: ['child', 'grandchild'] })
    expect((await s.getRun('root'))!.children).toEqual([])
    expect(await s.deleteRun('other')).toEqual({ status: 'running', run_ids: ['busy'] })
    expect(await s.getRun('other')).not.toBeNull()
    expect(await s.deleteRun('nope')).toEqual({ status: 'not-found' })
    expect(s.db.prepare('SELECT count(*) FROM results').pluck().get()).toBe(3)
    expect((await s.listRuns({ limit: 10, q: 'turn' })).runs.map((r) => r.run_id)).toEqual(['other', 'root'])
    await s.close()
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
