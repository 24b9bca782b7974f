import { afterAll, describe, expect, it } from 'vitest'
import { exportJsonChunks } from '../../src/storage/export-format.ts'
import { importExport } from '../../src/storage/import-runs.ts'
import { openSqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { SqliteStudyStore } from '../../src/storage/sqlite-study-store.ts'
import { cellKeys } from '../../src/studies/cells.ts'
import type { StudyInput } from '../../src/studies/types.ts'
import { result, tempDir } from './fixtures.ts'

const tmp = tempDir()
afterAll(() => tmp.cleanup())

const input: StudyInput = {
  name: 'link',
  prompts: [{ prompt: 'a' }, { prompt: 'b', expected: 'contains:b' }],
  targets: ['demo/fast', 'demo/slow'],
  repeats: 2,
  concurrency: 4,
  params: { max_tokens: 50 },
}

describe('runs made by a study', () => {
  it('carry the study id in history (run, list, links) and drop it from history exports', async () => {
    const store = openSqliteRunStore(tmp.db('link.db'))
    const base = { created_at: new Date('2026-01-02T03:04:05Z'), system: null, params: {}, parent_id: null }
    const targets = [{ target: 'demo/fast', label: 'fast' }]
    await store.startRun({ ...base, run_id: 'cell1', prompt: 'a', targets, study_id: 'study1' })
    await store.saveResult('cell1', 0, result({ target: 'demo/fast', pico: 5n, ms: 100 }))
    await store.finishRun('cell1', new Date('2026-01-02T03:04:06Z'))
    await store.startRun({ ...base, run_id: 'plain1', prompt: 'b', targets })
    await store.finishRun('plain1', new Date('2026-01-02T03:04:06Z'))

    expect((await store.getRun('cell1'))!.study_id).toBe('study1')
    expect((await store.getRun('plain1'))!).not.toHaveProperty('study_id')
    const list = await store.listRuns({ limit: 10 })
    expect(Object.fromEntries(list.runs.map((r) => [r.run_id, r.study_id]))).toEqual({
      cell1: 'study1',
      plain1: undefined,
    })
    let text = ''
    for await (const chunk of exportJsonChunks(store.exportRuns({}))) text += chunk
    expect(text).not.toContain('study1')

    // The export (whole history or one run) re-imports elsewhere, without the study.
    const other = openSqliteRunStore(tmp.db('other.db'))
    const imported = await importExport(other, JSON.parse(text), [])
    expect(imported).toMatchObject({ ok: true, outcome: { imported: 2, skipped: 0 } })
    expect((await other.getRun('cell1'))!).not.toHaveProperty('study_id')
    await other.close()
    await store.close()
  })
})

describe('SqliteStudyStore', () => {
  it('keeps a study, its cells (exact pico-dollar costs) and its state; recovers running studies', async () => {
    const runs = openSqliteRunStore(tmp.db('studies.db'))
    const studies = new SqliteStudyStore(runs.db)
    const keys = cellKeys(input)
    expect(keys).toHaveLength(8)
    // Interleaved: repeat 1 first, and within a prompt every target before the next prompt.
    expect(keys.slice(0, 4).map((k) => `${k.repeat}:${k.prompt_index}:${k.target}`)).toEqual([
      '1:0:demo/fast',
      '1:0:demo/slow',
      '1:1:demo/fast',
      '1:1:demo/slow',
    ])
    await studies.createStudy({ study_id: 's1', name: 'link', created_at: new Date(1000), input, cells: keys })
    const big = 9_007_199_254_740_993n // above 2^53: kept exactly
    await studies.saveCell('s1', keys[1]!, {
      status: 'ok',
      run_id: 'r1',
      started_at: 1100,
      finished_at: 1200,
      error_kind: null,
      error_message: null,
      cost_pico: big,
      cost_reason: null,
      ttft_ms: 12.5,
      total_ms: 40,
      input_tokens: 10,
      cached_input_tokens: 4,
      output_tokens: 20,
      reasoning_tokens: 0,
      output_tokens_per_s: 99.5,
      first_answer_ms: null,
      attempts: 1,
      finish_reason: 'stop',
      input_cost_usd: null,
      output_cost_usd: null,
      price_source: null,
      expected_pass: true,
      answer: 'yes',
    })
    const cells = await studies.cells('s1')
    expect(cells).toHaveLength(8)
    const saved = cells.find((c) => c.run_id === 'r1')!
    expect(saved).toMatchObject({ status: 'ok', cost_pico: big, cached_input_tokens: 4, expected_pass: true })
    expect(cells.filter((c) => c.status === 'pending')).toHaveLength(7)
    expect((await studies.cells('s1', { prompt_index: 1 })).every((c) => c.prompt_index === 1)).toBe(true)
    expect(await studies.getStudy('s1')).toMatchObject({ status: 'running', input })
    const [row] = await studies.listStudies(10)
    expect(row).toMatchObject({ study_id: 's1', cells: 8, done: 1, prompt_count: 2, repeats: 2, spend_pico: big })

    expect(await studies.recoverInterrupted()).toBe(1)
    expect(await studies.getStudy('s1')).toMatchObject({ status: 'interrupted', stop_reason: 'restart' })
    await studies.setBudget('s1', 2.5)
    expect((await studies.getStudy('s1'))!.input.max_usd).toBe(2.5)
    await studies.setState('s1', { status: 'done', stop_reason: null, finished_at: 5000 })
    expect(await studies.getStudy('s1')).toMatchObject({ status: 'done', finished_at: 5000, created_at: 1000 })
    await runs.close()
  })
})
