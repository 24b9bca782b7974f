import type { Pool } from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TargetResult } from '../../../src/domain/types.ts'
import type { PgRunStore } from '../../../src/storage/postgres/pg-run-store.ts'
import { StoreRecorder } from '../../../src/storage/recorder.ts'
import { type FakeUpstream, startFakeUpstream, words } from '../../helpers/fake-upstream.ts'
import { fakeConfig, type RunningJuxta, startJuxta, TEST_KEY } from '../../helpers/juxta.ts'
import { until } from '../fixtures.ts'
import { usePostgres } from './pg-fixtures.ts'

// A real streamed compare (loopback upstream → openai SDK → engine → recorder) written into PostgreSQL.

const postgres = usePostgres()
let pool: Pool
let upstream: FakeUpstream
let juxta: RunningJuxta
let store: PgRunStore
let recorder: StoreRecorder
const logs: string[] = []

beforeAll(async () => {
  ;({ pool, store } = await postgres.fresh('instance-a'))
  recorder = new StoreRecorder(store, { log: (l) => logs.push(l), flushMs: 30, secrets: () => [TEST_KEY] })
  upstream = await startFakeUpstream()
  upstream.script('slow', { kind: 'text', deltas: words(60), everyMs: 20, usageBody: usage(14, 60) })
  upstream.script('quick', { kind: 'text', deltas: ['Hello', ', ', 'world', ' — ✓'], usageBody: usage(14, 4) })
  upstream.script('broken', { kind: 'status', status: 500 })
  const priced = { input: 1, output: 2 }
  juxta = await startJuxta({
    config: fakeConfig({
      s: {
        base_url: upstream.url,
        models: ['slow', 'quick', 'broken'].map((id) => ({ id, price: priced })),
      },
    }),
    store,
    recorder,
  })
}, 60_000)

afterAll(async () => {
  await juxta?.close()
  await upstream?.close()
  await pool?.end()
})

function usage(prompt: number, completion: number) {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion }
}

describe('StoreRecorder into PostgreSQL', () => {
  it('writes partial text while streaming, then exactly the final text, usage and cost', async () => {
    const response = fetch(`${juxta.url}/api/compare`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_KEY}` },
      body: JSON.stringify({
        prompt: 'Count to sixty',
        system: 'Be exact.',
        targets: ['s/slow', 's/quick', 's/broken'],
      }),
    })
    // Mid-stream, the database holds the run as running, with the text so far.
    const partial = await until(async () => {
      const [first] = (await store.listRuns({ limit: 1 })).runs
      const run = first ? await store.getRun(first.run_id) : null
      return run?.status === 'running' && run.results[0]!.text.length > 0 ? run : null
    })
    expect(partial.results[0]!.status).toBe('running')
    expect(words(60).join('').startsWith(partial.results[0]!.text)).toBe(true)
    expect(partial.results[0]!.text.length).toBeLessThan(words(60).join('').length)

    const res = await response
    expect(res.status).toBe(200)
    const body = (await res.json()) as { run_id: string; results: TargetResult[] }
    await recorder.flush()
    const stored = await store.getRun(body.run_id)
    expect(stored).toMatchObject({
      status: 'done',
      prompt: 'Count to sixty',
      system: 'Be exact.',
      targets: ['s/slow', 's/quick', 's/broken'],
      conversation_id: body.run_id,
      turn: 1,
    })
    expect(stored!.results).toEqual(body.results)
    const [slow, quick, broken] = stored!.results
    expect(slow!.text).toBe(words(60).join(''))
    expect(slow!.usage).toMatchObject({ input_tokens: 14, output_tokens: 60, source: 'reported' })
    // 14 input and 60 output tokens at $1 and $2 per million.
    expect(slow!.cost).toMatchObject({ source: 'computed', total_usd: 0.000134 })
    expect(quick).toMatchObject({
      status: 'ok',
      text: 'Hello, world — ✓',
      usage: { input_tokens: 14, output_tokens: 4 },
    })
    expect(broken!.status).toBe('error')
    expect(broken!.cost).toMatchObject({ source: 'unknown', total_usd: null })
    expect(JSON.stringify(stored)).not.toContain(TEST_KEY)

    const { rows } = await pool.query(
      'SELECT owner, cost_pico::text AS pico FROM runs JOIN results ON run_id = id WHERE id = $1 ORDER BY idx',
      [body.run_id],
    )
    expect(rows).toEqual([
      { owner: 'instance-a', pico: '134000000' },
      { owner: 'instance-a', pico: '22000000' },
      { owner: 'instance-a', pico: null },
    ])
    expect((await store.spend({})).total).toMatchObject({ requests: 3, priced_requests: 2, cost_usd: 0.000156 })
    expect(logs.filter((l) => l.startsWith('history:'))).toEqual([])
  })
})
