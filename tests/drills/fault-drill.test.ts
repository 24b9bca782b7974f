import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, postCompare, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { openSqliteRunStore, type SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import type { TargetResult } from '../../src/domain/types.ts'

// A 4-target compare per fault: the faulty target must end with the right status and kind within its
// deadline, the three healthy ones must complete exactly, the server must keep serving, history must hold
// exactly what the API answered, and memory must come back to its idle level at the end.
const DEADLINE_MS = 3000
const FAULTS: Array<{ model: string; status: TargetResult['status']; kind: string; partial?: boolean }> = [
  { model: 'fault:401', status: 'error', kind: 'auth' },
  { model: 'fault:402', status: 'error', kind: 'quota' },
  { model: 'fault:429', status: 'error', kind: 'rate_limit' },
  { model: 'fault:500', status: 'error', kind: 'upstream' },
  { model: 'fault:503', status: 'error', kind: 'upstream' },
  { model: 'fault:malformed-json', status: 'error', kind: 'upstream', partial: true },
  { model: 'fault:stream-error-openrouter', status: 'error', kind: 'upstream', partial: true },
  { model: 'fault:stream-error-groq', status: 'error', kind: 'upstream', partial: true },
  { model: 'fault:reset', status: 'error', kind: 'network', partial: true },
  { model: 'fault:silence', status: 'timeout', kind: 'timeout' },
  { model: 'fault:endless-ping', status: 'timeout', kind: 'timeout' },
  { model: 'fault:endless-deltas', status: 'timeout', kind: 'timeout', partial: true },
]
const HEALTHY = ['text:20:5', 'text:30:3', 'text:10:10']

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
const heapAfterGc = () => {
  for (let i = 0; i < 3; i++) gc()
  return process.memoryUsage().heapUsed
}

let upstream: FakeUpstream
let juxta: RunningJuxta
let store: SqliteRunStore
let dir: string
let idleHeap = 0

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'juxta-drill-'))
  store = openSqliteRunStore(join(dir, 'juxta.db'))
  upstream = await startFakeUpstream()
  // No usage: Juxta estimates it, which loads the tokenizer (a one-time cost) during the warm-up.
  upstream.script('no-usage', { kind: 'text', deltas: 5, usage: 'none' })
  const models = [...HEALTHY, 'no-usage', ...FAULTS.map((f) => f.model), 'fault:huge'].map((id) => ({
    id,
    price: { input: 1, output: 2 },
  }))
  juxta = await startJuxta({
    config: fakeConfig(
      { f: { base_url: upstream.url, models } },
      { max_retries: 1, retry_after_cap_ms: 2000, idle_timeout_ms: 1500, deadline_ms: DEADLINE_MS },
    ),
    store,
  })
  // Warm up (tokenizer, SDK, SQLite statements), then take the idle level.
  await postCompare(juxta.url, { prompt: 'warm up', targets: [...HEALTHY, 'no-usage'].map((m) => `f/${m}`) })
  idleHeap = heapAfterGc()
})

afterAll(async () => {
  await juxta?.close()
  await upstream?.close()
  await store?.close()
  rmSync(dir, { recursive: true, force: true })
})

function expectHealthy(results: TargetResult[]) {
  for (const r of results) {
    const n = Number(r.target.split(':')[1])
    expect(r.status, r.target).toBe('ok')
    expect(r.text).toBe(Array.from({ length: n }, (_, i) => `${i === 0 ? '' : ' '}w${i + 1}`).join(''))
    expect(r.usage).toMatchObject({ input_tokens: 11, output_tokens: n, source: 'reported' })
  }
}

describe('fault drill: one faulty target among four', () => {
  for (const fault of FAULTS) {
    it(`${fault.model} fails only its own column, on time, and is kept in history`, async () => {
      const targets = [...HEALTHY.map((m) => `f/${m}`), `f/${fault.model}`]
      const res = await postCompare(juxta.url, { prompt: `drill ${fault.model}`, targets })
      expect(res.status).toBe(200)
      const results = res.body.results as TargetResult[]
      expectHealthy(results.slice(0, 3))
      const bad = results[3]!
      expect(bad.status).toBe(fault.status)
      expect(bad.error?.kind).toBe(fault.kind)
      expect(bad.timing.total_ms).toBeLessThan(DEADLINE_MS + 500)
      if (fault.partial) expect(bad.text.length).toBeGreaterThan(0)
      // Unknown usage is never turned into a zero cost.
      if (bad.usage.source === 'none') expect(bad.cost.total_usd).toBeNull()

      // The server keeps serving.
      expect((await fetch(`${juxta.url}/api/targets`)).status).toBe(200)

      // History holds exactly what the API answered.
      const stored = await store.getRun(res.body.run_id)
      expect(stored?.status).toBe('done')
      expect(stored!.results.map((r) => [r.status, r.text, r.error?.kind ?? null])).toEqual(
        results.map((r) => [r.status, r.text, r.error?.kind ?? null]),
      )
      expect(stored!.results[3]!.cost).toEqual(bad.cost)
    })
  }

  it('a 10 MB single chunk is handled and the server keeps serving', async () => {
    const res = await postCompare(juxta.url, {
      prompt: 'drill huge',
      targets: [...HEALTHY.map((m) => `f/${m}`), 'f/fault:huge'],
    })
    expect(res.status).toBe(200)
    const results = res.body.results as TargetResult[]
    expectHealthy(results.slice(0, 3))
    // Past the 4,000,000-character output cap: the column keeps what fits and says why it stopped.
    const huge = results[3]!
    expect(huge.status).toBe('error')
    expect(huge.error?.kind).toBe('upstream')
    expect(huge.error?.message).toContain('4,000,000-character limit')
    expect(huge.text.length).toBe(4_000_000)
    expect((await fetch(`${juxta.url}/api/targets`)).status).toBe(200)
  })

  it('memory returns to its idle level once the drill is over', async () => {
    // No upstream response is still open (idle keep-alive sockets may remain, and are no leak).
    const open = () => upstream.requests.filter((r) => r.closedAt === null).length
    expect(open()).toBe(0)
    // Two more full drills: once one-time allocations are paid (compiled code, caches, the engine's
    // "last value" slots that may hold the 4 MB capped answer), another drill must not grow the heap.
    const drill = async () => {
      for (const fault of [...FAULTS.map((f) => f.model), 'fault:huge']) {
        const res = await postCompare(juxta.url, {
          prompt: `again ${fault}`,
          targets: [...HEALTHY.map((m) => `f/${m}`), `f/${fault}`],
        })
        expect(res.status).toBe(200)
      }
      await postCompare(juxta.url, { prompt: 'settle', targets: HEALTHY.map((m) => `f/${m}`) })
      return heapAfterGc()
    }
    const second = await drill()
    const third = await drill()
    expect(third - second).toBeLessThan(2 * 1024 * 1024)
    expect(third - idleHeap).toBeLessThan(16 * 1024 * 1024)
    expect(open()).toBe(0)
  }, 90_000)
})
