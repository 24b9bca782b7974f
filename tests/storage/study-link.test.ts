import { afterAll, describe, expect, it } from 'vitest'
import { exportJsonChunks } from '../../src/storage/export-format.ts'
import { importExport } from '../../src/storage/import-runs.ts'
import { openSqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
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

// The study store's behaviour (cells, exact costs, state, recovery) is in contract/study-store-contract.ts, run
// against SQLite and PostgreSQL.
describe("a study's cells", () => {
  it('start interleaved: repeat 1 first, and within a prompt every target before the next prompt', () => {
    const keys = cellKeys(input)
    expect(keys).toHaveLength(8)
    expect(keys.slice(0, 4).map((k) => `${k.repeat}:${k.prompt_index}:${k.target}`)).toEqual([
      '1:0:demo/fast',
      '1:0:demo/slow',
      '1:1:demo/fast',
      '1:1:demo/slow',
    ])
  })
})
