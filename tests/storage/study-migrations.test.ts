import { afterAll, describe, expect, it } from 'vitest'
import { openDatabase, schemaVersion } from '../../src/storage/database.ts'
import { migrations } from '../../src/storage/migrations.ts'
import { tempDir } from './fixtures.ts'

const tmp = tempDir()
afterAll(() => tmp.cleanup())

describe('the studies schema', () => {
  it("applies on an older database, takes stop_reason 'error' but no unknown reason, and deletes a study whole", () => {
    const step = migrations.findIndex((m) => m.name === 'studies')
    expect(step).toBeGreaterThan(0)
    const path = tmp.db('before-studies.db')
    openDatabase(path, migrations.slice(0, step)).close()

    const db = openDatabase(path)
    expect(schemaVersion(db)).toBe(migrations.length)
    const runColumns = (db.pragma('table_info(runs)') as Array<{ name: string }>).map((c) => c.name)
    expect(runColumns).toContain('study_id')
    db.prepare(
      'INSERT INTO studies (id, created_at, status, stop_reason, name, input) ' +
        "VALUES ('s1', 5, 'interrupted', 'error', 'kept', '{}')",
    ).run()
    expect(() => db.prepare("UPDATE studies SET stop_reason = 'bogus' WHERE id = 's1'").run()).toThrow(/CHECK/)
    db.prepare(
      'INSERT INTO study_cells (study_id, prompt_index, target_index, repeat, target, status, cost_pico, answer, ' +
        "attempts, finish_reason, price_source) VALUES ('s1', 0, 0, 1, 'a/x', 'ok', 1234, 'hi', 1, 'stop', 'config')",
    ).run()
    db.prepare("INSERT INTO study_summaries (study_id, key, summary) VALUES ('s1', 'k', '{}')").run()
    db.prepare("DELETE FROM studies WHERE id = 's1'").run()
    expect(db.prepare('SELECT count(*) FROM study_cells').pluck().get()).toBe(0)
    expect(db.prepare('SELECT count(*) FROM study_summaries').pluck().get()).toBe(0)
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    expect(db.pragma('foreign_key_check')).toEqual([])
    db.close()
  })
})
