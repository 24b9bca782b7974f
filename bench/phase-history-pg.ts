import { cpus } from 'node:os'
import { affinity, setAffinity } from './proc-cpu.ts'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { openPgDatabase } from '../src/storage/postgres/pg-database.ts'
import { PgRunStore } from '../src/storage/postgres/pg-run-store.ts'
import { seedPgRuns } from '../src/storage/postgres/pg-seed.ts'
import { seedRuns } from '../src/storage/seed.ts'
import { openSqliteRunStore } from '../src/storage/sqlite-run-store.ts'
import type { RunListQuery, RunStore } from '../src/storage/types.ts'
import { startPostgres } from '../tests/helpers/pg-server.ts'
import { ms, row, type Row } from './report.ts'
import type { Rig } from './rig.ts'
import { summarize } from './stats.ts'

const TARGET_MS = 100

/** What the history page and its search ask the store; `#4242` matches 11 runs, `zeppelin` none. */
const QUERIES: Array<[string, RunListQuery]> = [
  ['list, newest 50 with total', { limit: 50, page: 1 }],
  ['search a common word "sqlite"', { limit: 50, q: 'sqlite' }],
  ['search a rare term "#4242"', { limit: 50, q: '#4242' }],
  ['search a word in no prompt "zeppelin"', { limit: 50, q: 'zeppelin' }],
]

/**
 * History at scale on PostgreSQL beside SQLite: the same 100,000 seeded runs (about 300,000 target results) in
 * a local PostgreSQL (Debian's, started as the tests do) and in a SQLite file, then the store calls behind the
 * history page timed on each. Store level, so the two databases are compared without HTTP in between (row 9
 * times SQLite over HTTP).
 */
export async function measureHistoryPg(rig: Rig, workDir: string): Promise<Row[]> {
  const n = rig.quick ? 10_000 : 100_000
  // run.ts pins the bench to core 0 and children inherit it: PostgreSQL is started unpinned, on any core.
  const pinned = affinity()
  if (pinned !== null) setAffinity(`0-${cpus().length - 1}`)
  const server = await startPostgres().finally(() => {
    if (pinned !== null) setAffinity(pinned)
  })
  const pool = await openPgDatabase(await server.createDatabase(), { max: 4, queryTimeoutMs: 600_000 })
  const sqlite = openSqliteRunStore(join(workDir, 'history-pg-compare.db'))
  try {
    let t0 = performance.now()
    await seedPgRuns(pool, n)
    rig.log(`  seeded ${n} runs into PostgreSQL in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    t0 = performance.now()
    seedRuns(sqlite, n)
    rig.log(`  seeded ${n} runs into SQLite in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    const stores: Array<[string, RunStore]> = [
      ['PostgreSQL', new PgRunStore(pool)],
      ['SQLite', sqlite],
    ]
    const rows: Row[] = []
    for (const [figure, query] of QUERIES) {
      const times: Record<string, number[]> = { PostgreSQL: [], SQLite: [] }
      // Interleaved, so both see the same machine load.
      for (let i = 0; i < (rig.quick ? 5 : 25); i++) {
        for (const [name, store] of stores) {
          const start = performance.now()
          await store.listRuns(query)
          if (i >= 2) times[name]!.push(performance.now() - start) // the first calls warm the caches
        }
      }
      const pg = summarize(times.PostgreSQL!)
      const lite = summarize(times.SQLite!)
      rows.push(
        row({
          figure: `9b. history ${figure}, ${n.toLocaleString('en-US')} runs, PostgreSQL store`,
          juxta: `p50 ${ms(pg.p50)}, p90 ${ms(pg.p90)}`,
          baseline: `SQLite store: p50 ${ms(lite.p50)}, p90 ${ms(lite.p90)}`,
          ratio: `${(pg.p50 / lite.p50).toFixed(1)}×`,
          target: `p90 ≤ ${TARGET_MS} ms`,
          result: pg.p90 <= TARGET_MS ? 'pass' : 'FAIL',
        }),
      )
    }
    return rows
  } finally {
    await sqlite.close()
    await pool.end()
    await server.stop()
  }
}
