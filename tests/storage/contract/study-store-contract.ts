import { afterEach, describe, expect, it } from 'vitest'
import { cellKeys } from '../../../src/studies/cells.ts'
import type { StudyInput, StudySummary } from '../../../src/studies/types.ts'
import type { CellOutcome, StudyStore } from '../../../src/storage/study-store.ts'
import { CELL_FIGURES } from '../../../src/storage/study-rows.ts'

/** One fresh database for one test, with a study store on it. */
export interface StudyHarness {
  store: StudyStore
  close(): Promise<void>
}

export type OpenStudyStore = () => Promise<StudyHarness>

export const studyInput: StudyInput = {
  name: 'contract',
  prompts: [{ prompt: 'a' }, { prompt: 'b', expected: 'contains:b', system: 'Be brief' }],
  targets: ['demo/fast', 'demo/slow'],
  repeats: 2,
  concurrency: 4,
  params: { max_tokens: 50, temperature: 0.2 },
}

/** Above 2^53: a double would round it. */
const BIG = 9_007_199_254_740_993n

export function okOutcome(extra: Partial<CellOutcome> = {}): CellOutcome {
  return {
    status: 'ok',
    run_id: 'r1',
    started_at: 1100,
    finished_at: 1200,
    error_kind: null,
    error_message: null,
    cost_pico: BIG,
    cost_reason: null,
    ttft_ms: 12.5,
    total_ms: 40.25,
    input_tokens: 10,
    cached_input_tokens: 4,
    output_tokens: 20,
    reasoning_tokens: 0,
    output_tokens_per_s: 99.5,
    first_answer_ms: 13.75,
    attempts: 2,
    finish_reason: 'stop',
    input_cost_usd: 0.000_001,
    output_cost_usd: 0.1 + 0.2,
    price_source: 'config: demo/fast',
    expected_pass: true,
    answer: 'yes — «quoted» 🎉',
    ...extra,
  }
}

const errorOutcome: CellOutcome = {
  ...okOutcome(),
  status: 'error',
  run_id: 'r2',
  error_kind: 'rate_limit',
  error_message: 'upstream said 429',
  cost_pico: null,
  cost_reason: 'no-usage',
  ttft_ms: null,
  total_ms: 5,
  input_tokens: null,
  cached_input_tokens: null,
  output_tokens: null,
  reasoning_tokens: null,
  output_tokens_per_s: null,
  first_answer_ms: null,
  attempts: 3,
  finish_reason: null,
  input_cost_usd: null,
  output_cost_usd: null,
  price_source: null,
  expected_pass: false,
  answer: '',
}

const summary: StudySummary = {
  targets: [],
  cost_ratios: [
    {
      target: 'demo/slow',
      vs: 'demo/fast',
      median: 31.000000000000004,
      ci95: [24.1, 39.9],
      prompts: 40,
      geo_mean: null,
      total_ratio: 1e-7,
      excluded: { unknown: 0, zero_b: 1 },
      note: 'ünïcode "note"',
    },
  ],
}

/** What every StudyStore does, whatever the database (run against SQLite and PostgreSQL). */
export function studyStoreContract(name: string, open: OpenStudyStore): void {
  describe(`StudyStore contract: ${name}`, () => {
    let harness: StudyHarness | null = null
    const start = async () => {
      harness = await open()
      return harness.store
    }
    afterEach(async () => {
      await harness?.close()
      harness = null
    })
    const create = (store: StudyStore, id: string, at: number, input: StudyInput = studyInput) =>
      store.createStudy({ study_id: id, name: input.name, created_at: new Date(at), input, cells: cellKeys(input) })

    it('keeps a study with its input exactly (key order included) and every cell pending', async () => {
      const store = await start()
      await create(store, 's1', 1000)
      const study = await store.getStudy('s1')
      expect(study).toEqual({
        study_id: 's1',
        name: 'contract',
        status: 'running',
        stop_reason: null,
        created_at: 1000,
        started_at: null,
        finished_at: null,
        input: studyInput,
      })
      expect(JSON.stringify(study!.input)).toBe(JSON.stringify(studyInput))
      expect(await store.getStudy('nope')).toBeNull()

      const cells = await store.cells('s1')
      // Ordered by prompt, target, repeat (not in the interleaved order they were created in).
      expect(cells.map((c) => `${c.prompt_index}:${c.target_index}:${c.repeat}:${c.target}`)).toEqual([
        '0:0:1:demo/fast',
        '0:0:2:demo/fast',
        '0:1:1:demo/slow',
        '0:1:2:demo/slow',
        '1:0:1:demo/fast',
        '1:0:2:demo/fast',
        '1:1:1:demo/slow',
        '1:1:2:demo/slow',
      ])
      // A cell before it runs: every figure null, no answer.
      const noFigures = Object.fromEntries(CELL_FIGURES.map((c) => [c, null]))
      expect(cells[0]).toEqual({
        ...{ prompt_index: 0, target_index: 0, repeat: 1, target: 'demo/fast' },
        ...{ ...noFigures, status: 'pending', answer: '' },
      })
      expect(await store.cells('nope')).toEqual([])
    })

    it('refuses a second study with the same id and keeps the first whole', async () => {
      const store = await start()
      await create(store, 's1', 1000)
      const other = { ...studyInput, name: 'other', repeats: 1 }
      await expect(create(store, 's1', 2000, other)).rejects.toThrow()
      expect(await store.getStudy('s1')).toMatchObject({ name: 'contract', created_at: 1000 })
      expect(await store.cells('s1')).toHaveLength(8)
    })

    it('writes a finished cell with every figure exactly (pico-dollars above 2^53), and only that cell', async () => {
      const store = await start()
      await create(store, 's1', 1000)
      await create(store, 's2', 1000)
      const keys = cellKeys(studyInput)
      await store.saveCell('s1', keys[1]!, okOutcome())
      await store.saveCell('s1', keys[2]!, errorOutcome)
      const cancelled = okOutcome({ status: 'cancelled', run_id: 'r3', expected_pass: null, cost_pico: 0n })
      await store.saveCell('s1', keys[3]!, cancelled)
      const cells = await store.cells('s1')
      const at = (k: (typeof keys)[number]) =>
        cells.find(
          (c) => c.prompt_index === k.prompt_index && c.target_index === k.target_index && c.repeat === k.repeat,
        )
      expect(at(keys[1]!)).toEqual({ ...keys[1], ...okOutcome() })
      expect(at(keys[2]!)).toEqual({ ...keys[2], ...errorOutcome })
      expect(at(keys[3]!)).toMatchObject({ status: 'cancelled', expected_pass: null, cost_pico: 0n })
      expect(cells.filter((c) => c.status === 'pending')).toHaveLength(5)
      expect((await store.cells('s2')).every((c) => c.status === 'pending')).toBe(true)

      // Writing a cell again replaces its figures (a resumed study runs a cell once more).
      await store.saveCell('s1', keys[1]!, okOutcome({ run_id: 'r9', cost_pico: 7n, answer: 'again' }))
      const again = await store.cells('s1')
      expect(again.find((c) => c.run_id === 'r9')).toMatchObject({ ...keys[1], cost_pico: 7n, answer: 'again' })
      expect(again.find((c) => c.run_id === 'r1')).toBeUndefined()
      expect(again).toHaveLength(8)

      // A model may answer with U+0000, which PostgreSQL text cannot hold: the cell is stored all the same (the
      // character as U+FFFD there), so the study can finish.
      await store.saveCell('s1', keys[4]!, okOutcome({ run_id: 'r10', answer: 'a\0b' }))
      const nul = (await store.cells('s1')).find((c) => c.run_id === 'r10')
      expect(['a\0b', 'a\uFFFDb']).toContain(nul?.answer)
    })

    it('reads the cells of one prompt, ordered by target and repeat', async () => {
      const store = await start()
      await create(store, 's1', 1000)
      const one = await store.cells('s1', { prompt_index: 1 })
      expect(one.map((c) => `${c.prompt_index}:${c.target_index}:${c.repeat}`)).toEqual([
        '1:0:1',
        '1:0:2',
        '1:1:1',
        '1:1:2',
      ])
      expect(await store.cells('s1', { prompt_index: 0 })).toHaveLength(4)
      expect(await store.cells('s1', { prompt_index: 5 })).toEqual([])
    })

    it('lists studies newest first (then by id), with counts and the exact known spend', async () => {
      const store = await start()
      const three = { ...studyInput, name: 'three prompts', prompts: [...studyInput.prompts, { prompt: 'c' }] }
      await create(store, 'a-old', 1000)
      await create(store, 'b-new', 3000, three)
      await create(store, 'a-new', 3000)
      const keys = cellKeys(studyInput)
      await store.saveCell('a-old', keys[0]!, okOutcome())
      await store.saveCell('a-old', keys[1]!, okOutcome({ run_id: 'r3' }))
      await store.saveCell('a-old', keys[2]!, errorOutcome)
      await store.saveCell('a-old', keys[3]!, okOutcome({ status: 'cancelled', cost_pico: 5n }))

      const list = await store.listStudies(10)
      expect(list.map((s) => s.study_id)).toEqual(['b-new', 'a-new', 'a-old'])
      expect(list[0]).toEqual({
        study_id: 'b-new',
        name: 'three prompts',
        status: 'running',
        stop_reason: null,
        created_at: 3000,
        started_at: null,
        finished_at: null,
        targets: ['demo/fast', 'demo/slow'],
        prompt_count: 3,
        repeats: 2,
        cells: 12,
        done: 0,
        spend_pico: null,
      })
      // done counts ok and error cells (not cancelled ones); the spend sums every known cost, exactly.
      expect(list[2]).toMatchObject({ cells: 8, done: 3, prompt_count: 2, spend_pico: 2n * BIG + 5n })
      expect((await store.listStudies(2)).map((s) => s.study_id)).toEqual(['b-new', 'a-new'])
    })

    it('changes state: start time kept unless given, finish time kept only when not given', async () => {
      const store = await start()
      await create(store, 's1', 1000)
      await store.setState('s1', { status: 'running', stop_reason: null, started_at: 1500 })
      expect(await store.getStudy('s1')).toMatchObject({ status: 'running', started_at: 1500, finished_at: null })
      await store.setState('s1', { status: 'interrupted', stop_reason: 'paused', finished_at: 2000 })
      expect(await store.getStudy('s1')).toMatchObject({
        status: 'interrupted',
        stop_reason: 'paused',
        started_at: 1500,
        finished_at: 2000,
      })
      await store.setState('s1', { status: 'interrupted', stop_reason: 'budget' })
      expect(await store.getStudy('s1')).toMatchObject({ stop_reason: 'budget', finished_at: 2000 })
      await store.setState('s1', { status: 'running', stop_reason: null, finished_at: null })
      expect(await store.getStudy('s1')).toMatchObject({ status: 'running', stop_reason: null, finished_at: null })
      await store.setState('s1', { status: 'done', stop_reason: null, finished_at: 5000 })
      expect(await store.getStudy('s1')).toMatchObject({ status: 'done', finished_at: 5000, created_at: 1000 })
      // Unknown ids change nothing; a status or reason outside the schema is refused.
      await store.setState('nope', { status: 'done', stop_reason: null })
      expect(await store.getStudy('nope')).toBeNull()
      await expect(store.setState('s1', { status: 'bogus' as 'done', stop_reason: null })).rejects.toThrow()
      await expect(store.setState('s1', { status: 'interrupted', stop_reason: 'bogus' as 'paused' })).rejects.toThrow()
      expect(await store.getStudy('s1')).toMatchObject({ status: 'done' })
    })

    it('sets a new budget inside the stored input, keeping the rest of it as it was', async () => {
      const store = await start()
      await create(store, 's1', 1000)
      await store.setBudget('s1', 2.5)
      const once = (await store.getStudy('s1'))!.input
      expect(once).toEqual({ ...studyInput, max_usd: 2.5 })
      expect(JSON.stringify(once)).toBe(JSON.stringify({ ...studyInput, max_usd: 2.5 }))
      await store.setBudget('s1', 0.125)
      expect(JSON.stringify((await store.getStudy('s1'))!.input)).toBe(
        JSON.stringify({ ...studyInput, max_usd: 0.125 }),
      )
      await store.setBudget('nope', 1)
      expect(await store.getStudy('nope')).toBeNull()
    })

    it('marks running studies interrupted (restart) at start, and only those', async () => {
      const store = await start()
      for (const id of ['run1', 'run2', 'done1', 'paused1', 'cancelled1']) await create(store, id, 1000)
      await store.setState('done1', { status: 'done', stop_reason: null, finished_at: 2000 })
      await store.setState('paused1', { status: 'interrupted', stop_reason: 'paused' })
      await store.setState('cancelled1', { status: 'cancelled', stop_reason: null, finished_at: 2000 })
      expect(await store.recoverInterrupted()).toBe(2)
      const byId = Object.fromEntries((await store.listStudies(10)).map((s) => [s.study_id, s]))
      expect(byId.run1).toMatchObject({ status: 'interrupted', stop_reason: 'restart' })
      expect(byId.run2).toMatchObject({ status: 'interrupted', stop_reason: 'restart' })
      expect(byId.done1).toMatchObject({ status: 'done', stop_reason: null })
      expect(byId.paused1).toMatchObject({ status: 'interrupted', stop_reason: 'paused' })
      expect(byId.cancelled1).toMatchObject({ status: 'cancelled' })
      expect(await store.recoverInterrupted()).toBe(0)
    })

    it('keeps stored summaries exactly, replaces them, and returns those asked for only', async () => {
      const store = await start()
      await create(store, 's1', 1000)
      await create(store, 's2', 1000)
      expect(await store.storedSummaries(['s1', 's2'])).toEqual(new Map())
      expect(await store.storedSummaries([])).toEqual(new Map())
      await store.saveSummary('s1', { key: 'done:8:8', summary })
      await store.saveSummary('s2', { key: 'k2', summary: { targets: [], cost_ratios: [] } })
      const both = await store.storedSummaries(['s1', 's2', 'nope'])
      expect([...both.keys()].sort()).toEqual(['s1', 's2'])
      expect(both.get('s1')).toEqual({ key: 'done:8:8', summary })
      expect(JSON.stringify(both.get('s1')!.summary)).toBe(JSON.stringify(summary))
      await store.saveSummary('s1', { key: 'done:8:9', summary: { targets: [], cost_ratios: [] } })
      expect(await store.storedSummaries(['s1'])).toEqual(
        new Map([['s1', { key: 'done:8:9', summary: { targets: [], cost_ratios: [] } }]]),
      )
    })

    it('creates a study of the largest size (10,000 cells) in one go', async () => {
      const store = await start()
      const big = {
        ...studyInput,
        prompts: Array.from({ length: 500 }, (_, i) => ({ prompt: `p${i}` })),
        repeats: 10,
      }
      await create(store, 'big', 1000, big)
      expect((await store.listStudies(1))[0]).toMatchObject({ study_id: 'big', cells: 10_000, prompt_count: 500 })
      const cells = await store.cells('big', { prompt_index: 499 })
      expect(cells).toHaveLength(20)
      expect(cells.at(-1)).toMatchObject({ prompt_index: 499, target_index: 1, repeat: 10, target: 'demo/slow' })
    })
  })
}
