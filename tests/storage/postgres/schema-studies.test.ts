import { describe, expect, it } from 'vitest'
import { usePostgres } from '../contract/pg-harness.ts'

describe('the PostgreSQL studies schema (migration 2)', () => {
  const pg = usePostgres()

  it("takes stop_reason 'error', no unknown reason, deletes a study whole, folds only ASCII in names", async () => {
    const { pool } = await pg.database()
    try {
      await pool.query(
        `INSERT INTO studies (id, created_at, status, stop_reason, name, input)
         VALUES ('s1', 5, 'interrupted', 'error', 'kept', '{}')`,
      )
      await expect(pool.query("UPDATE studies SET stop_reason = 'bogus' WHERE id = 's1'")).rejects.toThrow(/check/)
      await expect(pool.query("UPDATE studies SET status = 'paused' WHERE id = 's1'")).rejects.toThrow(/check/)
      await pool.query(
        `INSERT INTO study_cells (study_id, prompt_index, target_index, repeat, target, status, cost_pico, answer)
         VALUES ('s1', 0, 0, 1, 'a/x', 'ok', 9223372036854775807, 'hi')`,
      )
      await pool.query(`INSERT INTO study_summaries (study_id, key, summary) VALUES ('s1', 'k', '{}')`)
      await pool.query("DELETE FROM studies WHERE id = 's1'")
      const { rows } = await pool.query(
        'SELECT (SELECT count(*) FROM study_cells)::int AS cells, (SELECT count(*) FROM study_summaries)::int AS s',
      )
      expect(rows[0]).toEqual({ cells: 0, s: 0 })

      // The name index compares as SQLite's NOCASE whatever the database's locale: A–Z fold, nothing else.
      const { rows: folded } = await pool.query("SELECT juxta_nocase('ÉTÉ Zeta_9') AS f")
      expect(folded[0].f).toBe('ÉtÉ zeta_9')
    } finally {
      await pool.end()
    }
  })
})
