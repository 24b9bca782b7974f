import { afterAll, describe, expect, it } from 'vitest'
import { openDatabase, schemaVersion } from '../../src/storage/database.ts'
import { migrations } from '../../src/storage/migrations.ts'
import { tempDir } from './fixtures.ts'

const tmp = tempDir()
afterAll(() => tmp.cleanup())

describe("the migration that allows stop_reason 'error'", () => {
  it('keeps every study and cell of an older database, and then accepts the new reason', () => {
    const step = migrations.findIndex((m) => m.name === 'study stop reason error')
    expect(step).toBeGreaterThan(0)
    const path = tmp.db('studies-before-error.db')
    const old = openDatabase(path, migrations.slice(0, step))
    old
      .prepare(
        'INSERT INTO studies (id, created_at, status, stop_reason, name, input) ' +
          "VALUES ('s1', 5, 'interrupted', 'budget', 'kept', '{}')",
      )
      .run()
    const cell = old.prepare(
      'INSERT INTO study_cells (study_id, prompt_index, target_index, repeat, target, status, cost_pico, answer) ' +
        "VALUES ('s1', ?, 0, 1, 'a/x', ?, ?, 'hi')",
    )
    cell.run(0, 'ok', 1234)
    cell.run(1, 'pending', null)
    expect(() => old.prepare("UPDATE studies SET stop_reason = 'error' WHERE id = 's1'").run()).toThrow(
      /CHECK constraint/,
    )
    old.close()

    const db = openDatabase(path)
    expect(schemaVersion(db)).toBe(migrations.length)
    expect(db.prepare('SELECT id, status, stop_reason, name FROM studies').all()).toEqual([
      { id: 's1', status: 'interrupted', stop_reason: 'budget', name: 'kept' },
    ])
    expect(db.prepare('SELECT prompt_index, status, cost_pico, answer FROM study_cells ORDER BY 1').all()).toEqual([
      { prompt_index: 0, status: 'ok', cost_pico: 1234, answer: 'hi' },
      { prompt_index: 1, status: 'pending', cost_pico: null, answer: 'hi' },
    ])
    db.prepare("UPDATE studies SET stop_reason = 'error' WHERE id = 's1'").run()
    expect(() => db.prepare("UPDATE studies SET stop_reason = 'bogus' WHERE id = 's1'").run()).toThrow(/CHECK/)
    // The cells still belong to their study: deleting it deletes them.
    db.prepare("DELETE FROM studies WHERE id = 's1'").run()
    expect(db.prepare('SELECT count(*) FROM study_cells').pluck().get()).toBe(0)
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    expect(db.pragma('foreign_key_check')).toEqual([])
    db.close()
  })
})

describe('the migration that copies the rest of the figures into study cells', () => {
  it("fills a stored cell's figures from its run's result, and leaves a cell whose run is gone empty", () => {
    const step = migrations.findIndex((m) => m.name === 'study cell figures')
    expect(step).toBeGreaterThan(0)
    const path = tmp.db('cells-before-figures.db')
    const old = openDatabase(path, migrations.slice(0, step))
    old
      .prepare("INSERT INTO runs (id, conversation_id, created_at, status, prompt) VALUES ('r1', 'r1', 1, 'done', 'p')")
      .run()
    const cost = { input_usd: 0.001, output_usd: 0.002, total_usd: 0.003, price_source: 'config: a/x' }
    old
      .prepare(
        'INSERT INTO results (run_id, idx, target, provider, model, label, status, attempts, finish_reason, ' +
          "first_answer_ms, cost_json) VALUES ('r1', 0, 'a/x', 'a', 'x', 'X', 'ok', 2, 'length', 45.5, ?)",
      )
      .run(JSON.stringify(cost))
    old.prepare("INSERT INTO studies (id, created_at, status, name, input) VALUES ('s1', 5, 'done', 'n', '{}')").run()
    const cell = old.prepare(
      'INSERT INTO study_cells (study_id, prompt_index, target_index, repeat, target, status, run_id) ' +
        "VALUES ('s1', ?, 0, 1, 'a/x', 'ok', ?)",
    )
    cell.run(0, 'r1')
    cell.run(1, 'deleted-run')
    old.close()

    const db = openDatabase(path)
    const figures = db.prepare(
      'SELECT first_answer_ms, attempts, finish_reason, input_cost_usd, output_cost_usd, price_source ' +
        'FROM study_cells ORDER BY prompt_index',
    )
    expect(figures.all()).toEqual([
      {
        first_answer_ms: 45.5,
        attempts: 2,
        finish_reason: 'length',
        input_cost_usd: 0.001,
        output_cost_usd: 0.002,
        price_source: 'config: a/x',
      },
      {
        first_answer_ms: null,
        attempts: null,
        finish_reason: null,
        input_cost_usd: null,
        output_cost_usd: null,
        price_source: null,
      },
    ])
    db.close()
  })
})
