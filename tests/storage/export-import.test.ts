import { afterAll, describe, expect, it } from 'vitest'
import { buildRequest } from '../../src/engine/run-service.ts'
import { CSV_HEADER, csvField, exportCsvChunks } from '../../src/storage/csv.ts'
import { ExportSchema, exportJsonChunks } from '../../src/storage/export-format.ts'
import { openSqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import type { RunStore, StoredRun } from '../../src/storage/types.ts'
import { addRun, harness, result, tempDir } from './fixtures.ts'

const tmp = tempDir()
afterAll(() => tmp.cleanup())

async function text(chunks: AsyncIterable<string>): Promise<string> {
  let out = ''
  for await (const chunk of chunks) out += chunk
  return out
}

const exportJson = async (store: RunStore) =>
  JSON.parse(await text(exportJsonChunks(store.exportRuns({})))) as { runs: StoredRun[] }

/** An RFC 4180 reader written for the test, independent of the writer under test. */
function parseCsv(input: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!
    if (quoted) {
      if (ch === '"' && input[i + 1] === '"') {
        field += '"'
        i++
      } else if (ch === '"') quoted = false
      else field += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') {
      row.push(field)
      field = ''
    } else if (ch === '\r' && input[i + 1] === '\n') {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
      i++
    } else field += ch
  }
  if (field !== '' || row.length > 0) throw new Error('CSV does not end with CRLF')
  return rows
}

describe('JSON export and import', () => {
  it('export → delete → import gives back identical runs, and importing again skips them', async () => {
    const h = harness(tmp.db('round-trip.db'))
    const first = await h.run({
      prompt: 'Compare B-trees and LSM trees',
      system: 'Answer in two paragraphs.',
      targets: ['demo/fast', 'demo/thinker', 'demo/unpriced'],
      params: { temperature: 0.7, max_tokens: 400 },
    })
    const history = await h.store.conversationFor(first.run_id)
    const second = await h.run({
      prompt: 'Which suits logs?',
      targets: ['demo/fast', 'demo/thinker'],
      history: history!,
      parentId: first.run_id,
    })
    const cut = buildRequest({ prompt: 'cut short by a crash', targets: ['demo/fast'], params: {} })
    h.recorder.started(cut, { prompt: 'cut short by a crash', system: null, parent_id: null })
    h.recorder.event(cut.run_id, { type: 'delta', index: 0, kind: 'text', text: 'Partial "answer", with\nnewlines' })
    await h.recorder.flush()
    expect(await h.store.recoverInterrupted()).toBe(1)

    const before = await exportJson(h.store)
    expect(ExportSchema.safeParse(before).success).toBe(true)
    expect(before.runs.map((r) => r.run_id)).toEqual([cut.run_id, second.run_id, first.run_id])
    const conversationBefore = await h.store.conversationFor(second.run_id)

    expect(await h.store.deleteRun(first.run_id)).toEqual({ status: 'deleted', run_ids: [first.run_id, second.run_id] })
    expect(await h.store.deleteRun(cut.run_id)).toMatchObject({ status: 'deleted' })
    expect((await h.store.listRuns({ limit: 10 })).runs).toEqual([])

    const file = ExportSchema.parse(before)
    expect(await h.store.importRuns(file.runs)).toEqual({ imported: 3, skipped: 0, skipped_runs: [] })
    const after = await exportJson(h.store)
    expect(after.runs).toEqual(before.runs)
    expect(JSON.stringify(after.runs)).toBe(JSON.stringify(before.runs))
    expect(after.runs[2]!.results).toEqual(first.results)
    expect(await h.store.conversationFor(second.run_id)).toEqual(conversationBefore)
    expect((await h.store.getRun(first.run_id))!.children.map((c) => c.run_id)).toEqual([second.run_id])
    expect((await h.store.listRuns({ limit: 10, q: 'LSM' })).runs.map((r) => r.run_id)).toEqual([first.run_id])

    expect(await h.store.importRuns(file.runs)).toEqual({
      imported: 0,
      skipped: 3,
      skipped_runs: file.runs.map((r, index) => ({ index, run_id: r.run_id, reason: 'already stored' })),
    })
    expect((await h.store.listRuns({ limit: 10, page: 1 })).total).toBe(3)
    await h.store.close()
  })
})

describe('export validation', () => {
  const valid = () => ({
    format: 'juxta-runs',
    version: 1,
    exported_at: '2025-01-01T00:00:00.000Z',
    runs: [
      {
        run_id: 'r1',
        created_at: '2025-01-01T00:00:00.000Z',
        finished_at: null,
        status: 'done',
        prompt: 'p',
        system: null,
        params: {},
        targets: ['a/b'],
        parent_id: null,
        conversation_id: 'r1',
        turn: 1,
        results: [result({ target: 'a/b', pico: 10n, ms: 5 })],
      },
    ],
  })
  const issues = (value: unknown) => {
    const parsed = ExportSchema.safeParse(value)
    return parsed.success ? [] : parsed.error.issues.map((i) => i.path.join('.'))
  }

  it('accepts a well-formed export, with cost fields the pricing module may add later', () => {
    expect(issues(valid())).toEqual([])
    const later = valid()
    Object.assign(later.runs[0]!.results[0]!.cost, { usage_source: 'reported', some_future_field: 1 })
    expect(issues(later)).toEqual([])
  })

  it('rejects what would corrupt history', () => {
    expect(issues({ ...valid(), version: 3 })).toEqual(['version'])
    const zero = valid()
    Object.assign(zero.runs[0]!.results[0]!.cost, { source: 'unknown', total_usd: 0 })
    expect(issues(zero)).toEqual(['runs.0.results.0.cost.total_usd'])
    const mismatch = valid()
    mismatch.runs[0]!.targets = ['x/y']
    expect(issues(mismatch)).toEqual(['runs.0.targets'])
    const extra = valid()
    Object.assign(extra.runs[0]!, { api_key: 'sk-live' })
    expect(issues(extra)).toEqual(['runs.0'])
    const badId = valid()
    badId.runs[0]!.run_id = '../../etc'
    expect(issues(badId)).toEqual(['runs.0.run_id'])
  })
})

describe('CSV export', () => {
  it('escapes fields per RFC 4180 and neutralises formulas', () => {
    expect(csvField('plain')).toBe('plain')
    expect(csvField('a,b')).toBe('"a,b"')
    expect(csvField('say "hi"')).toBe('"say ""hi"""')
    expect(csvField('two\r\nlines')).toBe('"two\r\nlines"')
    expect(csvField('=HYPERLINK("http://evil","x")')).toBe(`"'=HYPERLINK(""http://evil"",""x"")"`)
    for (const lead of ['=', '+', '-', '@', '\t', '\r']) expect(csvField(`${lead}1+1`).replace(/^"/, '')).toMatch(/^'/)
    expect(csvField(-5)).toBe('-5')
    expect(csvField(0.0000013)).toBe('0.0000013')
    expect(csvField(null)).toBe('')
    expect(csvField(true)).toBe('true')
  })

  it('writes one row per target result with every figure', async () => {
    const store = openSqliteRunStore(tmp.db('csv.db'))
    const prompt = 'Name, "quote" and\nnewline — ünïcode'
    await addRun(store, 'c1', '2025-02-01T00:00:00.000Z', prompt, [
      { target: 'demo/fast', pico: 1_300_000n, ms: 812.5 },
      { target: 'openai/gpt-x', status: 'error', pico: null, ms: 40 },
    ])
    await store.saveResult('c1', 0, {
      ...result({ target: 'demo/fast', pico: 1_300_000n, ms: 812.5 }),
      text: '=SUM(A1:A9) is not a formula here',
    })
    const csv = await text(exportCsvChunks(store.exportRuns({})))
    expect(csv.startsWith('\uFEFF')).toBe(true)
    const rows = parseCsv(csv.slice(1))
    expect(rows[0]).toEqual(CSV_HEADER)
    expect(rows).toHaveLength(3)
    const records = rows.slice(1).map((r) => Object.fromEntries(CSV_HEADER.map((h, i) => [h, r[i]])))
    expect(rows.slice(1).every((r) => r.length === CSV_HEADER.length)).toBe(true)
    expect(records[0]).toMatchObject({
      run_id: 'c1',
      index: '0',
      target: 'demo/fast',
      status: 'ok',
      cost_usd: '0.0000013',
      cost_source: 'computed',
      total_ms: '812.5',
      input_tokens: '10',
      output_tokens: '20',
      prompt,
      answer: "'=SUM(A1:A9) is not a formula here",
    })
    expect(records[1]).toMatchObject({
      target: 'openai/gpt-x',
      status: 'error',
      cost_usd: '',
      cost_source: 'unknown',
      cost_reason: 'no-price',
      error_kind: 'upstream',
      error_status: '502',
      error_message: 'upstream error (502)',
    })
    await store.close()
  })
})
