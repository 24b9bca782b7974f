import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { openSqliteRunStore } from '../src/storage/sqlite-run-store.ts'
import { seedRuns } from '../src/storage/seed.ts'
import { ms, row, type Row } from './report.ts'
import type { Rig } from './rig.ts'
import { summarize } from './stats.ts'

const TARGET_MS = 100

/**
 * History at scale: seeds 100,000 finished runs (about 300,000 target results) into the running Juxta's own
 * database, then times its real HTTP answers for the history page, a text search and the JSON list.
 */
export async function measureHistory(rig: Rig, dataDir: string): Promise<Row[]> {
  const n = rig.quick ? 10_000 : 100_000
  const store = openSqliteRunStore(join(dataDir, 'juxta.db'))
  const t0 = performance.now()
  try {
    seedRuns(store, n)
  } finally {
    await store.close()
  }
  const seedMs = performance.now() - t0
  rig.log(`  seeded ${n} runs in ${(seedMs / 1000).toFixed(1)} s`)
  const base = `http://127.0.0.1:${rig.juxta.port}`
  const paths: Array<[string, string]> = [
    ['history page (newest 50, with total)', '/history'],
    ['history text search "sqlite"', '/history?q=sqlite'],
    ['history search "sqlite" + target filter', '/history?q=sqlite&target=demo%2Ffast'],
    ['GET /api/runs (newest 50)', '/api/runs'],
    ['GET /api/runs?q=sqlite', '/api/runs?q=sqlite'],
  ]
  const rows: Row[] = []
  for (const [figure, path] of paths) {
    const times: number[] = []
    for (let i = 0; i < (rig.quick ? 5 : 25); i++) {
      const start = performance.now()
      const res = await fetch(base + path)
      await res.arrayBuffer()
      if (res.status !== 200) throw new Error(`${path} answered ${res.status}`)
      if (i >= 2) times.push(performance.now() - start) // the first requests warm the page cache
    }
    const s = summarize(times)
    rows.push(
      row({
        figure: `9. ${figure}, ${n.toLocaleString('en-US')} runs`,
        juxta: `p50 ${ms(s.p50)}, p90 ${ms(s.p90)}`,
        target: `p90 ≤ ${TARGET_MS} ms`,
        result: s.p90 <= TARGET_MS ? 'pass' : 'FAIL',
      }),
    )
  }
  return rows
}
