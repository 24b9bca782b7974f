import { describe, expect, it } from 'vitest'
import { type ImageBlob, sha256Hex } from '../../../src/images/image-data.ts'
import { MAX_REQUEST_PICO, picoToUsd } from '../../../src/pricing/money.ts'
import type { RunStore, StoredRun } from '../../../src/storage/types.ts'
import { addRun, result, type Spec } from '../fixtures.ts'

/** A store on a fresh, empty database, and how to let it go. */
export type OpenStore = () => Promise<{ store: RunStore; close(): Promise<void> }>

const ids = (runs: Array<{ run_id: string }>) => runs.map((r) => r.run_id)

/** Two targets, each priced at one pico-dollar. */
const TWO: Spec[] = [
  { target: 'p/m', pico: 1n, ms: 1 },
  { target: 'q/n', pico: 1n, ms: 1 },
]

/** A tiny image of a given type, with distinct bytes per `n`. */
function image(n: number): ImageBlob {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, n])
  return { mime: 'image/png', data: png, sha256: sha256Hex(png) }
}

/** Starts a run (with images) through the store's write API and finishes it with the given results. */
async function addRunWithImages(store: RunStore, id: string, at: string, images: ImageBlob[], parent?: string) {
  await store.startRun({
    run_id: id,
    created_at: new Date(at),
    prompt: `look at ${id}`,
    system: null,
    params: {},
    parent_id: parent ?? null,
    targets: [{ target: 'p/m', label: 'm' }],
    images,
  })
  await store.saveResult(id, 0, { ...result({ target: 'p/m', pico: 5n, ms: 1 }), text: `seen ${id}` })
  await store.finishRun(id, new Date(Date.parse(at) + 1000))
}

async function exportAll(store: RunStore): Promise<StoredRun[]> {
  const out: StoredRun[] = []
  for await (const run of store.exportRuns({})) out.push(run)
  return out
}

/**
 * What every RunStore does, whatever its database: SQLite and PostgreSQL both run it
 * (tests/storage/run-store-contract.test.ts). Store-specific internals (FTS, WAL, kill -9) are tested apart.
 */
export function runStoreContract(name: string, open: OpenStore): void {
  describe(`RunStore contract: ${name}`, () => {
    /** Runs `body` with a store on a fresh database, closed afterwards even when it fails. */
    const withStore = async (body: (store: RunStore) => Promise<void>) => {
      const opened = await open()
      try {
        await body(opened.store)
      } finally {
        await opened.close()
      }
    }

    /** The five runs most list, search and spend tests read. */
    async function fiveRuns(store: RunStore): Promise<void> {
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
        {
          running: true,
        },
      )
    }

    describe('listing', () => {
      it('lists newest first, keyset pages cover every run once, page mode counts', () =>
        withStore(async (store) => {
          await fiveRuns(store)
          expect(ids((await store.listRuns({ limit: 50 })).runs)).toEqual(['r5', 'r4', 'r3', 'r2', 'r1'])
          const seen: string[] = []
          let cursor: string | undefined
          do {
            const page = await store.listRuns({ limit: 2, cursor })
            seen.push(...ids(page.runs))
            cursor = page.next_cursor ?? undefined
          } while (cursor)
          expect(seen).toEqual(['r5', 'r4', 'r3', 'r2', 'r1'])
          const page2 = await store.listRuns({ limit: 2, page: 2 })
          expect(ids(page2.runs)).toEqual(['r3', 'r2'])
          expect(page2).toMatchObject({ page: 2, total: 5, pages: 3 })
          expect(await store.listRuns({ limit: 2, page: 9 })).toMatchObject({ runs: [], total: 5, next_cursor: null })
          expect((await store.listRuns({ limit: 2, page: 1, q: 'nothing-matches' })).pages).toBe(1)
          await expect(store.listRuns({ limit: 2, cursor: 'not a cursor' })).rejects.toThrow('invalid cursor')
        }))

      it('orders by start time, not insertion, and pages through runs of one millisecond', () =>
        withStore(async (store) => {
          const one = (id: string, at: string, prompt: string) =>
            addRun(store, id, at, prompt, [{ target: 'a/b', pico: 1n, ms: 1 }])
          await one('b', '2025-01-02T00:00:00.000Z', 'sqlite second')
          await one('a', '2025-01-01T00:00:00.000Z', 'sqlite first (imported later)')
          for (const id of ['t1', 't2', 't3']) await one(id, '2025-01-03T00:00:00.000Z', `sqlite twin ${id}`)
          for (const q of [undefined, 'sqlite', 'twin sqlite', 'QL']) {
            const expected = q?.includes('twin') ? ['t3', 't2', 't1'] : ['t3', 't2', 't1', 'b', 'a']
            expect(ids((await store.listRuns({ limit: 10, q })).runs)).toEqual(expected)
            const seen: string[] = []
            let cursor: string | undefined
            do {
              const page = await store.listRuns({ limit: 2, cursor, q })
              seen.push(...ids(page.runs))
              cursor = page.next_cursor ?? undefined
            } while (cursor)
            expect(seen).toEqual(expected)
          }
        }))

      it('summarises cost, unknowns, cheapest and fastest from exact integer sums', () =>
        withStore(async (store) => {
          await fiveRuns(store)
          const runs = new Map((await store.listRuns({ limit: 50 })).runs.map((r) => [r.run_id, r]))
          expect(runs.get('r1')).toMatchObject({
            prompt: 'How does SQLite WAL mode work?',
            prompt_truncated: false,
            status: 'done',
            turn: 1,
            parent_id: null,
            conversation_id: 'r1',
            created_at: '2025-03-01T10:00:00.000Z',
            cost_usd: picoToUsd(26_300_000n),
            cost_unknown: 0,
            cheapest: { target: 'demo/fast', label: 'fast', cost_usd: picoToUsd(1_300_000n) },
            fastest: { target: 'openai/gpt-x', label: 'gpt-x', total_ms: 400 },
          })
          expect(runs.get('r1')!.targets).toEqual([
            { target: 'demo/fast', label: 'fast', status: 'ok', cost_usd: picoToUsd(1_300_000n), total_ms: 900 },
            { target: 'openai/gpt-x', label: 'gpt-x', status: 'ok', cost_usd: picoToUsd(25_000_000n), total_ms: 400 },
          ])
          expect(runs.get('r2')).toMatchObject({ cost_usd: picoToUsd(700_000n), cost_unknown: 1 })
          expect(runs.get('r2')!.fastest).toMatchObject({ target: 'ollama/llama' })
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
          expect(runs.get('r5')!.targets[0]).toMatchObject({ status: 'running', cost_usd: null, total_ms: null })
          expect('images' in runs.get('r1')!).toBe(false)
          expect('study_id' in runs.get('r1')!).toBe(false)
        }))

      it('truncates long prompts in the list only (by characters, not bytes)', () =>
        withStore(async (store) => {
          const long = `${'é'.repeat(1000)} tail`
          await addRun(store, 'long', '2020-01-01T00:00:00.000Z', long, [{ target: 'demo/fast', pico: 1n, ms: 1 }])
          await addRun(store, 'exact', '2020-01-02T00:00:00.000Z', 'x'.repeat(300), [
            { target: 'd/f', pico: 1n, ms: 1 },
          ])
          const [exact, row] = (await store.listRuns({ limit: 2 })).runs
          expect(row!.prompt).toBe('é'.repeat(300))
          expect(row!.prompt_truncated).toBe(true)
          expect(exact!.prompt_truncated).toBe(false)
          expect((await store.getRun('long'))!.prompt).toBe(long)
        }))
    })

    describe('search and filters', () => {
      /** The five runs stored, and a search over them giving the ids found, newest first. */
      const searchable = async (store: RunStore) => {
        await fiveRuns(store)
        return async (q: string) => ids((await store.listRuns({ limit: 50, q })).runs)
      }

      it('finds substrings, case- and accent-insensitive, every term and "phrase" required', () =>
        withStore(async (store) => {
          const search = await searchable(store)
          expect(await search('sqlite')).toEqual(['r1'])
          expect(await search('WAL  sqlite')).toEqual(['r1'])
          expect(await search('wal postgres')).toEqual([])
          expect(await search('"haiku about"')).toEqual(['r2'])
          expect(await search('"about haiku"')).toEqual([])
          expect(await search('"HAIKU ABOUT" postgres')).toEqual(['r2'])
          expect(await search('resume')).toEqual(['r3'])
          expect(await search('RÉSUMÉ')).toEqual(['r3'])
          expect(await search('gres')).toEqual(['r2'])
        }))

      it('matches short terms and special characters literally', () =>
        withStore(async (store) => {
          const search = await searchable(store)
          expect(await search('QL')).toEqual(['r1'])
          expect(await search('Go')).toEqual(['r4'])
          expect(await search('ai')).toEqual(['r4', 'r2'])
          expect(await search('a')).toEqual(['r5', 'r4', 'r3', 'r2', 'r1'])
          expect(await search('%')).toEqual(['r3'])
          expect(await search('_a')).toEqual(['r3'])
          expect(await search('100%')).toEqual(['r3'])
          expect(await search('0%')).toEqual(['r3'])
          expect(await search('t_a')).toEqual(['r3'])
          expect(await search('s_a')).toEqual([])
          // Fullwidth ％ ＿ ＼ fold to the LIKE wildcards and escape on PostgreSQL (SQLite keeps them apart): at
          // most the literal character matches, never every run.
          for (const [term, literal] of [
            ['％', 'r3'],
            ['t＿a', 'r3'],
            ['＼', ''],
          ]) {
            expect(['', literal]).toContain((await search(term!)).join())
          }
          expect(await search('"Go GC" ai')).toEqual(['r4'])
        }))

      it('never lets search text become SQL or search syntax', () =>
        withStore(async (store) => {
          const search = await searchable(store)
          await addRun(store, 'q', '2024-01-01T00:00:00.000Z', String.raw`a \ backslash and 'quotes'`, [
            { target: 'a/b', pico: 1n, ms: 1 },
          ])
          expect(await search('sqlite" OR "haiku')).toEqual([])
          expect(await search('NEAR(sqlite wal) * ^')).toEqual([])
          expect(await search("'; DROP TABLE runs; --")).toEqual([])
          expect(await search('"')).toEqual([])
          expect(await search('""')).toHaveLength(6)
          expect(await search('\\')).toEqual(['q'])
          expect(await search(String.raw`a \ b`)).toEqual(['q'])
          expect(await search("'quotes'")).toEqual(['q'])
          expect((await store.listRuns({ limit: 50 })).runs).toHaveLength(6)
        }))

      it('filters by target (any of several), by period, and with a search', () =>
        withStore(async (store) => {
          await fiveRuns(store)
          const list = async (q: Parameters<RunStore['listRuns']>[0]) => ids((await store.listRuns(q)).runs)
          expect(await list({ limit: 50, targets: ['ollama/llama'] })).toEqual(['r2'])
          expect(await list({ limit: 50, targets: ['ollama/llama', 'openai/gpt-x'] })).toEqual(['r3', 'r2', 'r1'])
          expect(await list({ limit: 50, targets: ['nobody/none'] })).toEqual([])
          const march2 = { from: new Date('2025-03-02T00:00:00Z'), to: new Date('2025-03-03T00:00:00Z') }
          expect(await list({ limit: 50, ...march2 })).toEqual(['r2'])
          // `from` is inclusive, `to` exclusive, to the millisecond.
          expect(await list({ limit: 50, from: new Date('2025-03-03T00:00:00.000Z') })).toEqual(['r5', 'r4', 'r3'])
          expect(await list({ limit: 50, to: new Date('2025-03-03T00:00:00.000Z') })).toEqual(['r2', 'r1'])
          expect(await list({ limit: 50, q: 'fast OR', targets: ['demo/fast'] })).toEqual([])
          expect(
            await list({ limit: 50, q: 'tips', targets: ['demo/fast'], from: new Date('2025-03-03T00:00:00Z') }),
          ).toEqual(['r3'])
          const page = await store.listRuns({ limit: 1, page: 1, targets: ['demo/fast'], q: 'i' })
          expect(page).toMatchObject({ total: 4, pages: 4 })
          expect(ids(page.runs)).toEqual(['r5'])
        }))
    })

    describe('spend', () => {
      it('sums per provider, model and day exactly, leaving running targets out', () =>
        withStore(async (store) => {
          await fiveRuns(store)
          const report = await store.spend({
            from: new Date('2025-03-01T00:00:00Z'),
            to: new Date('2025-03-06T00:00:00Z'),
          })
          expect(report.from).toBe('2025-03-01T00:00:00.000Z')
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
          expect(report.models.map((m) => m.target)).toEqual([
            'demo/thinker',
            'openai/gpt-x',
            'demo/fast',
            'ollama/llama',
          ])
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
          expect(report.days[1]).toMatchObject({ requests: 2, cost_usd: picoToUsd(700_000n) })
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
          expect(all.days.map((d) => d.day)).toEqual(report.days.map((d) => d.day))
          const empty = await store.spend({ from: new Date('2030-01-01T00:00:00Z') })
          expect(empty.total).toEqual({ cost_usd: 0, requests: 0, priced_requests: 0, unknown_cost_requests: 0 })
        }))

      it('adds in integers: $0.1 + $0.2 is exactly $0.3, and labels come from the latest run', () =>
        withStore(async (store) => {
          await addRun(store, 'a', '2025-01-01T00:00:00.000Z', 'a', [{ target: 'p/m', pico: 100_000_000_000n, ms: 1 }])
          await addRun(store, 'b', '2025-01-01T01:00:00.000Z', 'b', [{ target: 'p/m', pico: 200_000_000_000n, ms: 1 }])
          await store.saveResult('b', 0, { ...result({ target: 'p/m', pico: 200_000_000_000n, ms: 1 }), label: 'M v2' })
          expect(0.1 + 0.2).not.toBe(0.3)
          const report = await store.spend({})
          expect(report.total.cost_usd).toBe(0.3)
          expect(report.models[0]).toMatchObject({ label: 'M v2', avg_cost_per_request_usd: 0.15 })
          expect((await store.listRuns({ limit: 5 })).runs.map((r) => r.cost_usd)).toEqual([0.2, 0.1])
        }))

      it('adds a thousand maximal requests exactly ($10,000,000: 10^19 pico-dollars, past 2^63)', () =>
        withStore(async (store) => {
          const specs: Spec[] = Array.from({ length: 100 }, () => ({ target: 'p/m', pico: MAX_REQUEST_PICO, ms: 1 }))
          for (let i = 0; i < 10; i++) await addRun(store, `r${i}`, `2025-02-01T0${i}:00:00.000Z`, `run ${i}`, specs)
          const report = await store.spend({})
          expect(report.total).toMatchObject({ cost_usd: 10_000_000, requests: 1000, priced_requests: 1000 })
          expect(report.models[0]).toMatchObject({ cost_usd: 10_000_000, avg_cost_per_request_usd: 10_000 })
          expect(report.days).toEqual([
            expect.objectContaining({ day: '2025-02-01', cost_usd: 10_000_000, providers: { p: 10_000_000 } }),
          ])
          // Each run's own total is exact too.
          expect((await store.listRuns({ limit: 20 })).runs.map((r) => r.cost_usd)).toEqual(Array(10).fill(1_000_000))
        }))
    })

    describe('runs, links and deleting', () => {
      it('keeps a run exactly, with its parent, children, conversation and study', () =>
        withStore(async (store) => {
          await store.startRun({
            run_id: 'root',
            created_at: new Date('2025-01-01T00:00:00.000Z'),
            prompt: 'first turn',
            system: 'Be brief.',
            params: { temperature: 0.2, max_tokens: 50 },
            parent_id: null,
            targets: [
              { target: 'p/m', label: 'M' },
              { target: 'q/n', label: 'N' },
            ],
            study_id: 'study-1',
          })
          const ok = { ...result({ target: 'p/m', pico: 123n, ms: 12.5 }), label: 'M', reasoning: 'hmm' }
          await store.saveResult('root', 0, ok)
          await store.saveResult('root', 1, {
            ...result({ target: 'q/n', status: 'error', pico: null, ms: 3 }),
            label: 'N',
          })
          await store.finishRun('root', new Date('2025-01-01T00:00:02.000Z'))
          await addRun(
            store,
            'child',
            '2025-01-01T00:01:00.000Z',
            'second turn',
            [{ target: 'p/m', pico: 1n, ms: 1 }],
            {
              parent: 'root',
            },
          )
          const root = await store.getRun('root')
          expect(root).toMatchObject({
            run_id: 'root',
            created_at: '2025-01-01T00:00:00.000Z',
            finished_at: '2025-01-01T00:00:02.000Z',
            status: 'done',
            system: 'Be brief.',
            params: { temperature: 0.2, max_tokens: 50 },
            targets: ['p/m', 'q/n'],
            conversation_id: 'root',
            turn: 1,
            study_id: 'study-1',
            parent: null,
          })
          expect(root!.results[0]).toEqual(ok)
          expect(root!.results[1]).toMatchObject({ status: 'error', error: { kind: 'upstream', status: 502 } })
          expect(root!.results[1]!.cost).toMatchObject({ source: 'unknown', reason: 'no-price', total_usd: null })
          expect(root!.children).toEqual([
            { run_id: 'child', created_at: '2025-01-01T00:01:00.000Z', status: 'done', prompt: 'second turn' },
          ])
          const child = await store.getRun('child')
          expect(child).toMatchObject({ conversation_id: 'root', turn: 2, parent_id: 'root' })
          expect(child!.parent).toEqual({
            run_id: 'root',
            created_at: '2025-01-01T00:00:00.000Z',
            status: 'done',
            prompt: 'first turn',
            study_id: 'study-1',
          })
          expect('study_id' in child!).toBe(false)
          expect((await store.listRuns({ limit: 5 })).runs[1]).toMatchObject({ run_id: 'root', study_id: 'study-1' })
          expect(await store.getRun('nope')).toBeNull()
          expect(await store.conversationFor('nope')).toBeNull()
        }))

      it('deletes a run with its follow-ups, refuses while one runs, and reports unknown ids', () =>
        withStore(async (store) => {
          const spec = [{ target: 'p/m', pico: 1n, ms: 1 }]
          await addRun(store, 'root', '2025-01-01T00:00:00.000Z', 'first turn', spec)
          await addRun(store, 'child', '2025-01-01T00:01:00.000Z', 'second turn', spec, { parent: 'root' })
          await addRun(store, 'grandchild', '2025-01-01T00:02:00.000Z', 'third turn', spec, { parent: 'child' })
          await addRun(store, 'other', '2025-01-02T00:00:00.000Z', 'unrelated turn', spec)
          await addRun(store, 'busy', '2025-01-02T00:01:00.000Z', 'streaming follow-up', spec, {
            parent: 'other',
            running: true,
          })
          expect(await store.getRun('grandchild')).toMatchObject({
            conversation_id: 'root',
            turn: 3,
            parent_id: 'child',
          })
          expect(await store.deleteRun('child')).toEqual({ status: 'deleted', run_ids: ['child', 'grandchild'] })
          expect((await store.getRun('root'))!.children).toEqual([])
          expect(await store.getRun('grandchild')).toBeNull()
          expect(await store.deleteRun('other')).toEqual({ status: 'running', run_ids: ['busy'] })
          expect(await store.getRun('other')).not.toBeNull()
          expect(await store.deleteRun('nope')).toEqual({ status: 'not-found' })
          expect((await store.listRuns({ limit: 10, q: 'turn' })).runs.map((r) => r.run_id)).toEqual(['other', 'root'])
          // The deleted runs' results are gone from every figure.
          expect((await store.spend({})).total.requests).toBe(2)
        }))

      it('keeps images once per content, in order, and drops them with their last run', () =>
        withStore(async (store) => {
          const [a, b] = [image(1), image(2)]
          await addRunWithImages(store, 'one', '2025-01-01T00:00:00.000Z', [a, b])
          await addRunWithImages(store, 'two', '2025-01-01T00:01:00.000Z', [b])
          const refs = (await store.getRun('one'))!.images
          expect(refs).toEqual([
            { sha256: a.sha256, mime: 'image/png', bytes: 12 },
            { sha256: b.sha256, mime: 'image/png', bytes: 12 },
          ])
          expect((await store.listRuns({ limit: 5 })).runs.map((r) => r.images?.length)).toEqual([1, 2])
          const stored = await store.getImage(a.sha256)
          expect(stored!.mime).toBe('image/png')
          expect(Buffer.compare(stored!.data, a.data)).toBe(0)
          expect(await store.deleteRun('one')).toMatchObject({ status: 'deleted' })
          expect(await store.getImage(a.sha256)).toBeNull()
          expect(await store.getImage(b.sha256)).not.toBeNull()
          expect(await store.deleteRun('two')).toMatchObject({ status: 'deleted' })
          expect(await store.getImage(b.sha256)).toBeNull()
          expect(await store.getImage('0'.repeat(64))).toBeNull()
        }))
    })

    describe('follow-up conversations', () => {
      it("rebuilds each target's own history, leaving out turns it never answered, with earlier images", () =>
        withStore(async (store) => {
          const img = image(3)
          await addRunWithImages(store, 't1', '2025-01-01T00:00:00.000Z', [img])
          await addRun(store, 't2', '2025-01-01T00:01:00.000Z', 'second', TWO, { parent: 't1' })
          await store.saveResult('t2', 1, {
            ...result({ target: 'q/n', status: 'error', pico: null, ms: 1 }),
            text: '',
          })
          await addRun(store, 't3', '2025-01-01T00:02:00.000Z', 'third', [{ target: 'q/n', pico: 1n, ms: 1 }], {
            parent: 't2',
          })
          const history = await store.conversationFor('t3')
          expect(history).toEqual({
            'p/m': [
              {
                role: 'user',
                content: [
                  { type: 'text', text: 'look at t1' },
                  { type: 'image_url', image_url: { url: `data:image/png;base64,${img.data.toString('base64')}` } },
                ],
              },
              { role: 'assistant', content: 'seen t1' },
              { role: 'user', content: 'second' },
              { role: 'assistant', content: 'answer from m' },
            ],
            'q/n': [
              { role: 'user', content: 'third' },
              { role: 'assistant', content: 'answer from n' },
            ],
          })
          expect(Object.keys((await store.conversationFor('t1'))!)).toEqual(['p/m'])
        }))
    })

    describe('streaming and crash recovery', () => {
      it('appends partial text per target in one batch, and a finished run closes targets left running', () =>
        withStore(async (store) => {
          await addRun(store, 's', '2025-01-01T00:00:00.000Z', 'stream', TWO, { running: true })
          await store.appendPartials([])
          await store.appendPartials([
            { run_id: 's', index: 0, text: 'Hel', reasoning: '', attempts: null },
            { run_id: 's', index: 1, text: '', reasoning: 'think', attempts: 2 },
            { run_id: 's', index: 0, text: 'lo', reasoning: 'r', attempts: null },
            { run_id: 'unknown', index: 0, text: 'lost', reasoning: '', attempts: null },
          ])
          await store.appendPartials([{ run_id: 's', index: 0, text: ', world — ✓', reasoning: '', attempts: 3 }])
          const mid = await store.getRun('s')
          expect(mid!.status).toBe('running')
          expect(mid!.finished_at).toBeNull()
          expect(mid!.results.map((r) => [r.status, r.text, r.reasoning, r.attempts])).toEqual([
            ['running', 'Hello, world — ✓', 'r', 3],
            ['running', '', 'think', 2],
          ])
          expect(mid!.results[0]!.timing.total_ms).toBeNull()
          await store.saveResult('s', 0, { ...result({ target: 'p/m', pico: 9n, ms: 1 }), text: 'Hello, world — ✓!' })
          // A final result is never appended to afterwards.
          await store.appendPartials([{ run_id: 's', index: 0, text: 'late', reasoning: '', attempts: null }])
          await store.finishRun('s', new Date('2025-01-01T00:00:03.000Z'))
          const done = await store.getRun('s')
          expect(done).toMatchObject({ status: 'done', finished_at: '2025-01-01T00:00:03.000Z' })
          expect(done!.results.map((r) => [r.status, r.text])).toEqual([
            ['ok', 'Hello, world — ✓!'],
            ['interrupted', ''],
          ])
          expect(await store.recoverInterrupted()).toBe(0)
        }))

      it('marks runs left running as interrupted, keeping their text, and leaves finished runs alone', () =>
        withStore(async (store) => {
          await addRun(store, 'done', '2025-01-01T00:00:00.000Z', 'finished', [{ target: 'p/m', pico: 1n, ms: 1 }])
          const before = await store.getRun('done')
          for (const id of ['cut1', 'cut2']) {
            await addRun(store, id, '2025-01-02T00:00:00.000Z', id, TWO, { running: true })
            await store.appendPartials([
              { run_id: id, index: 0, text: 'The first half', reasoning: '', attempts: null },
              { run_id: id, index: 1, text: '', reasoning: 'Thinking about', attempts: 2 },
            ])
          }
          await store.saveResult('cut2', 0, result({ target: 'p/m', pico: 1n, ms: 1 }))
          expect(await store.recoverInterrupted()).toBe(2)
          const run = await store.getRun('cut1')
          expect(run!.status).toBe('interrupted')
          expect(run!.finished_at).toBeNull()
          expect(run!.results.map((r) => r.status)).toEqual(['interrupted', 'interrupted'])
          expect(run!.results[0]!.text).toBe('The first half')
          expect(run!.results[1]!).toMatchObject({ reasoning: 'Thinking about', attempts: 2, label: 'n' })
          expect(run!.results[1]!.cost).toMatchObject({ source: 'unknown', reason: 'interrupted', total_usd: null })
          expect((await store.getRun('cut2'))!.results.map((r) => r.status)).toEqual(['ok', 'interrupted'])
          expect(await store.getRun('done')).toEqual(before)
          expect(await store.recoverInterrupted()).toBe(0)
          // Interrupted targets count as requests of unknown cost; they can be deleted now.
          expect((await store.spend({})).total).toMatchObject({ requests: 5, unknown_cost_requests: 3 })
          expect(await store.deleteRun('cut1')).toMatchObject({ status: 'deleted' })
        }))
    })

    describe('export and import', () => {
      it('export → delete → import gives back identical runs, images included; a second import skips them', () =>
        withStore(async (store) => {
          const img = image(4)
          await addRunWithImages(store, 'first', '2025-01-01T00:00:00.000Z', [img])
          await addRun(
            store,
            'second',
            '2025-01-01T00:01:00.000Z',
            'follow "up"\nwith newlines',
            [
              { target: 'p/m', pico: MAX_REQUEST_PICO, ms: 1 },
              { target: 'q/n', pico: null, ms: 2 },
            ],
            { parent: 'first' },
          )
          await addRun(store, 'cut', '2025-01-01T00:02:00.000Z', 'cut short', [{ target: 'p/m', pico: 1n, ms: 1 }], {
            running: true,
          })
          await store.appendPartials([{ run_id: 'cut', index: 0, text: 'partial', reasoning: '', attempts: null }])
          const before = await exportAll(store)
          expect(before.map((r) => r.run_id)).toEqual(['cut', 'second', 'first'])
          expect(before[0]!.status).toBe('running')
          const conversation = await store.conversationFor('second')

          expect(await store.deleteRun('first')).toEqual({ status: 'deleted', run_ids: ['first', 'second'] })
          expect(await store.getImage(img.sha256)).toBeNull()
          const images = new Map([[img.sha256, img]])
          expect(await store.importRuns(before.slice(1), images)).toEqual({ imported: 2, skipped: 0, skipped_runs: [] })
          expect(JSON.stringify(await exportAll(store))).toBe(JSON.stringify(before))
          expect(await store.conversationFor('second')).toEqual(conversation)
          expect((await store.getRun('first'))!.children.map((c) => c.run_id)).toEqual(['second'])
          expect((await store.listRuns({ limit: 10, q: 'newlines' })).runs.map((r) => r.run_id)).toEqual(['second'])
          expect(Buffer.compare((await store.getImage(img.sha256))!.data, img.data)).toBe(0)
          expect((await store.spend({})).total.cost_usd).toBe(picoToUsd(MAX_REQUEST_PICO + 5n))

          expect(await store.importRuns(before, images)).toEqual({
            imported: 0,
            skipped: 3,
            skipped_runs: before.map((r, index) => ({ index, run_id: r.run_id, reason: 'already stored' })),
          })
          expect((await store.listRuns({ limit: 10, page: 1 })).total).toBe(3)
        }))

      it('stores what it can: a run the database refuses is skipped alone; a running run arrives interrupted', () =>
        withStore(async (store) => {
          await addRun(store, 'src', '2025-01-01T00:00:00.000Z', 'source', [{ target: 'p/m', pico: 7n, ms: 1 }])
          const [template] = await exportAll(store)
          await store.deleteRun('src')
          const ghost = image(9)
          const runs: StoredRun[] = [
            { ...template!, run_id: 'ok1' },
            { ...template!, run_id: 'noimage', images: [{ sha256: ghost.sha256, mime: 'image/png', bytes: 12 }] },
            {
              ...template!,
              run_id: 'live',
              status: 'running',
              finished_at: null,
              results: [{ ...template!.results[0]!, status: 'running', text: 'so far' }],
            },
          ]
          const outcome = await store.importRuns(runs)
          expect(outcome).toMatchObject({ imported: 2, skipped: 1 })
          expect(outcome.skipped_runs).toEqual([
            {
              index: 1,
              run_id: 'noimage',
              reason: expect.stringMatching(/^not stored: image [0-9a-f]{64} is not in the file$/),
            },
          ])
          expect(await store.getRun('noimage')).toBeNull()
          const live = await store.getRun('live')
          expect(live!.status).toBe('interrupted')
          expect(live!.results[0]).toMatchObject({ status: 'interrupted', text: 'so far' })
          expect(await store.recoverInterrupted()).toBe(0)
          expect(await store.importRuns([])).toEqual({ imported: 0, skipped: 0, skipped_runs: [] })
        }))

      it('exports only the runs a filter matches, newest first, across batches', () =>
        withStore(async (store) => {
          for (let i = 0; i < 450; i++) {
            const at = new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString()
            await addRun(store, `b${String(i).padStart(3, '0')}`, at, i % 100 === 7 ? `about sqlite ${i}` : `p${i}`, [
              { target: i % 2 ? 'a/b' : 'c/d', pico: 1n, ms: 1 },
            ])
          }
          const all = await exportAll(store)
          expect(all).toHaveLength(450)
          expect(new Set(all.map((r) => r.run_id)).size).toBe(450)
          expect(all[0]!.run_id).toBe('b449')
          const found: string[] = []
          for await (const run of store.exportRuns({ q: 'sqlite', targets: ['a/b'] })) found.push(run.run_id)
          expect(found).toEqual(['b407', 'b307', 'b207', 'b107', 'b007'])
          const none: string[] = []
          for await (const run of store.exportRuns({ targets: ['z/z'] })) none.push(run.run_id)
          expect(none).toEqual([])
        }))
    })
  })
}
