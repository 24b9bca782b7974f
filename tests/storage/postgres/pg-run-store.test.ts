import type pg from 'pg'
import { describe, expect, it } from 'vitest'
import { PgRunStore } from '../../../src/storage/postgres/pg-run-store.ts'
import { seedPgRuns } from '../../../src/storage/postgres/pg-seed.ts'
import { seedRuns } from '../../../src/storage/seed.ts'
import { openSqliteRunStore } from '../../../src/storage/sqlite-run-store.ts'
import { addRun, result, tempDir } from '../fixtures.ts'
import { usePostgres } from './pg-fixtures.ts'

// What only the PostgreSQL store has: several instances on one database, owners, one round trip per write.

const postgres = usePostgres()
const database = async () => (await postgres.fresh()).pool

const spec = [
  { target: 'p/m', pico: 1n, ms: 1 },
  { target: 'q/n', pico: 1n, ms: 1 },
]

describe('PgRunStore', () => {
  it('lets two instances start runs in the same millisecond at once, each under its own key', async () => {
    const pool = await database()
    const [a, b] = [new PgRunStore(pool, { instanceId: 'a' }), new PgRunStore(pool, { instanceId: 'b' })]
    const at = '2025-05-01T00:00:00.000Z'
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        addRun(i % 2 ? a : b, `run${String(i).padStart(2, '0')}`, at, `same ms ${i}`, spec),
      ),
    )
    const { rows } = await pool.query('SELECT count(DISTINCT seq)::int AS keys, count(*)::int AS runs FROM runs')
    expect(rows[0]).toEqual({ keys: 30, runs: 30 })
    const seen: string[] = []
    let cursor: string | undefined
    do {
      const page = await a.listRuns({ limit: 7, cursor, q: 'same' })
      seen.push(...page.runs.map((r) => r.run_id))
      cursor = page.next_cursor ?? undefined
    } while (cursor)
    expect(seen.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `run${String(i).padStart(2, '0')}`))
    // A run id stored twice is refused, not renumbered.
    await expect(addRun(a, 'run00', at, 'again', spec)).rejects.toThrow(/duplicate key/)
    await pool.end()
  })

  it('interrupts the running runs of dead instances only, keeping their text', async () => {
    const pool = await database()
    const [a, b, imported] = [
      new PgRunStore(pool, { instanceId: 'a' }),
      new PgRunStore(pool, { instanceId: 'b' }),
      new PgRunStore(pool),
    ]
    await addRun(a, 'a-running', '2025-01-01T00:00:00.000Z', 'a', spec, { running: true })
    await addRun(a, 'a-done', '2025-01-01T00:00:01.000Z', 'a', spec)
    await addRun(b, 'b-running', '2025-01-01T00:00:02.000Z', 'b', spec, { running: true })
    await addRun(imported, 'no-owner', '2025-01-01T00:00:03.000Z', 'c', spec, { running: true })
    await a.appendPartials([{ run_id: 'a-running', index: 1, text: 'so far', reasoning: '', attempts: null }])
    await a.saveResult('a-running', 0, result({ target: 'p/m', pico: 5n, ms: 3 }))
    const owners = await pool.query('SELECT id, owner FROM runs ORDER BY id')
    expect(owners.rows).toEqual([
      { id: 'a-done', owner: 'a' },
      { id: 'a-running', owner: 'a' },
      { id: 'b-running', owner: 'b' },
      { id: 'no-owner', owner: null },
    ])

    expect(await b.interruptRunsOf([])).toBe(0)
    expect(await b.interruptRunsOf(['a', 'gone'])).toBe(1)
    const run = await b.getRun('a-running')
    expect(run!.status).toBe('interrupted')
    expect(run!.results.map((r) => [r.status, r.text])).toEqual([
      ['ok', 'answer from m'],
      ['interrupted', 'so far'],
    ])
    expect((await b.getRun('a-done'))!.status).toBe('done')
    expect((await b.getRun('b-running'))!.status).toBe('running')
    expect(await b.interruptRunsOf(['a'])).toBe(0)
    expect(await b.recoverInterrupted()).toBe(2)
    await pool.end()
  })

  it('sends each write the recorder makes as one statement', async () => {
    const { pool, store } = await postgres.fresh('x')
    const statements: string[] = []
    const query = pool.query.bind(pool)
    // Counts what goes to the real server; every call still runs there.
    pool.query = ((config: pg.QueryConfig) => {
      statements.push(typeof config === 'string' ? config : config.text)
      return query(config)
    }) as typeof pool.query
    const writes: Array<[string, () => Promise<void>]> = [
      ['start', () => addRun(store, 'r', '2025-01-01T00:00:00.000Z', 'p', spec, { running: true })],
      [
        'partials',
        () =>
          store.appendPartials(
            Array.from({ length: 12 }, (_, i) => ({
              run_id: 'r',
              index: i % 2,
              text: `${i},`,
              reasoning: '',
              attempts: null,
            })),
          ),
      ],
      ['result', () => store.saveResult('r', 0, result({ target: 'p/m', pico: 1n, ms: 1 }))],
      ['finish', () => store.finishRun('r', new Date('2025-01-01T00:00:01.000Z'))],
    ]
    for (const [name, write] of writes) {
      statements.length = 0
      await write()
      expect([name, statements.length]).toEqual([name, 1])
    }
    const run = await store.getRun('r')
    expect(run!.results.map((r) => [r.status, r.text])).toEqual([
      ['ok', 'answer from m'],
      ['interrupted', '1,3,5,7,9,11,'],
    ])
    await pool.end()
  })

  it('stores U+0000, which PostgreSQL text cannot hold, as U+FFFD instead of failing the run', async () => {
    const { pool, store } = await postgres.fresh()
    await addRun(store, 'nul', '2025-01-01T00:00:00.000Z', 'a\0b', spec, { running: true })
    await store.appendPartials([{ run_id: 'nul', index: 0, text: 'x\0y', reasoning: '\0', attempts: null }])
    await store.saveResult('nul', 1, { ...result({ target: 'q/n', pico: 1n, ms: 1 }), text: 'end\0' })
    expect(await store.getRun('nul')).toMatchObject({
      prompt: 'a\uFFFDb',
      results: [
        { text: 'x\uFFFDy', reasoning: '\uFFFD' },
        { text: 'end\uFFFD', reasoning: '' },
      ],
    })
    await pool.end()
  })

  it('keeps working after the database restarts', async () => {
    const { pool, store } = await postgres.fresh()
    await addRun(store, 'before', '2025-01-01T00:00:00.000Z', 'before the restart', spec)
    await postgres.server().kill()
    await expect(store.listRuns({ limit: 5 })).rejects.toThrow()
    await postgres.server().start()
    await addRun(store, 'after', '2025-01-01T00:00:01.000Z', 'after the restart', spec)
    expect((await store.listRuns({ limit: 5, q: 'restart' })).runs.map((r) => r.run_id)).toEqual(['after', 'before'])
    await pool.end()
  })

  it('seeds the same history as SQLite for a seed (the benchmark compares identical rows)', async () => {
    const tmp = tempDir()
    const pool = await database()
    const sqlite = openSqliteRunStore(tmp.db())
    try {
      const options = { now: Date.parse('2025-06-01T00:00:00Z'), seed: 3 }
      expect(await seedPgRuns(pool, 1500, options)).toEqual(seedRuns(sqlite, 1500, options))
      const store = new PgRunStore(pool)
      for (const query of [
        { limit: 30, page: 2 },
        { limit: 50, q: 'sqlite index' },
        { limit: 10, q: 'ai', targets: ['demo/fast'] },
      ]) {
        expect(await store.listRuns(query)).toEqual(await sqlite.listRuns(query))
      }
      expect(await store.spend({})).toEqual(await sqlite.spend({}))
      const [fromPg, fromSqlite] = [[] as unknown[], [] as unknown[]]
      for await (const run of store.exportRuns({ q: 'haiku' })) fromPg.push(run)
      for await (const run of sqlite.exportRuns({ q: 'haiku' })) fromSqlite.push(run)
      expect(fromPg.length).toBeGreaterThan(10)
      expect(fromPg).toEqual(fromSqlite)
    } finally {
      await sqlite.close()
      await pool.end()
      tmp.cleanup()
    }
  })
})
