import { type SeedOptions, seedRows } from '../seed.ts'
import { pgTransaction, type PgPool } from './pg-database.ts'

/** Runs per INSERT: two statements per batch carry about 3,000 result rows as JSON. */
const BATCH = 1000

/**
 * The same synthetic history as `seedRuns` (SQLite) for a given seed, inserted into PostgreSQL in one
 * transaction of batched statements: benchmarks compare both databases on identical rows.
 */
export async function seedPgRuns(pool: PgPool, n: number, options: SeedOptions = {}): Promise<string[]> {
  const ids: string[] = []
  await pgTransaction(pool, async (client) => {
    let runs: unknown[] = []
    let results: unknown[] = []
    const flush = async () => {
      if (runs.length === 0) return
      await client.query('INSERT INTO runs SELECT * FROM json_populate_recordset(NULL::runs, $1)', [
        JSON.stringify(runs),
      ])
      await client.query('INSERT INTO results SELECT * FROM json_populate_recordset(NULL::results, $1)', [
        JSON.stringify(results),
      ])
      runs = []
      results = []
    }
    for (const { results: targets, ...run } of seedRows(n, options)) {
      ids.push(run.id)
      runs.push({ ...run, conversation_id: run.id, turn: 1, status: 'done', params: '{}' })
      for (const r of targets) {
        results.push({ ...r, run_id: run.id, created_at: run.created_at, cost_pico: r.cost_pico?.toString() ?? null })
      }
      if (runs.length >= BATCH) await flush()
    }
    await flush()
  })
  // As autovacuum would soon: statistics for the planner, and a visibility map so counts read the index only.
  await pool.query('VACUUM ANALYZE runs, results')
  return ids
}
