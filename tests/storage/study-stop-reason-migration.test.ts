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
