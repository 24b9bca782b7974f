import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildRequest, executeRun } from '../../src/engine/run-service.ts'
import { ConfigPricer } from '../../src/pricing/config-pricer.ts'
import type { PriceQuery, Pricer } from '../../src/pricing/types.ts'
import type { Cost } from '../../src/domain/types.ts'
import { openSqliteRunStore, type SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { TEST_KEY, fakeConfig, postCompare, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'

// Any exception in one target's post-processing (pricing here) ends that column with an unknown cost and
// its reason; the other columns are untouched and the run always finishes and is recorded.

/** Prices like the config, except that model `boom` makes it throw, as a corrupt price table would. */
class ThrowingPricer implements Pricer {
  private readonly config = new ConfigPricer()
  price(query: PriceQuery): Cost {
    // The key in the message stands for any secret an error might carry: it must not reach history.
    if (query.model.id === 'boom') throw new Error(`price table corrupt near ${TEST_KEY}`)
    return this.config.price(query)
  }
}

const PRICE = { input: 1, output: 2 }
const dir = mkdtempSync(join(tmpdir(), 'juxta-post-processing-'))
let fake: FakeUpstream
let store: SqliteRunStore
let juxta: RunningJuxta

beforeAll(async () => {
  fake = await startFakeUpstream()
  fake.script('ok', { kind: 'text', deltas: 3 })
  fake.script('boom', { kind: 'text', deltas: 4 })
  store = openSqliteRunStore(join(dir, 'juxta.db'))
  juxta = await startJuxta({
    store,
    pricer: new ThrowingPricer(),
    config: fakeConfig({
      f: {
        base_url: fake.url,
        models: [
          { id: 'ok', price: PRICE },
          { id: 'boom', price: PRICE },
        ],
      },
    }),
  })
})

afterAll(async () => {
  await juxta?.close()
  await fake?.close()
  await store?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('a target whose pricing throws', () => {
  it('keeps its answer with an unknown cost and a reason; the run answers 200 and is stored finished', async () => {
    const res = await postCompare(juxta.url, { prompt: 'Hi', targets: ['f/ok', 'f/boom'] })
    expect(res.status).toBe(200)
    const [ok, boom] = res.body.results
    expect(ok).toMatchObject({ status: 'ok', text: 'w1 w2 w3', cost: { source: 'computed', total_usd: 0.000017 } })
    expect(boom).toMatchObject({
      status: 'ok',
      text: 'w1 w2 w3 w4',
      usage: { input_tokens: 11, output_tokens: 4, source: 'reported' },
      cost: {
        source: 'unknown',
        total_usd: null,
        reason: 'pricing-failed',
        notes: ['pricing failed: Error: price table corrupt near [redacted]'],
      },
    })
    const stored = await store.getRun(res.body.run_id)
    expect(stored?.status).toBe('done')
    expect(stored?.results).toEqual(res.body.results)
    expect((await fetch(`${juxta.url}/api/runs/${res.body.run_id}`, { method: 'DELETE' })).status).toBe(200)
  })

  it('a consumer of run events that throws ends neither a column nor the run', async () => {
    const request = buildRequest({ prompt: 'Hi', targets: ['f/ok', 'f/boom'], params: {} })
    const meta = { prompt: 'Hi', system: null, parent_id: null }
    let events = 0
    const run = await executeRun(juxta.ctx, request, meta, {
      signal: new AbortController().signal,
      onEvent: () => {
        events++
        throw new Error('the page went away')
      },
    })
    expect(events).toBeGreaterThan(2)
    expect(run.results.map((r) => [r.status, r.text])).toEqual([
      ['ok', 'w1 w2 w3'],
      ['ok', 'w1 w2 w3 w4'],
    ])
    expect(juxta.logs.some((l) => l.startsWith('engine: a run event consumer failed: the page went away'))).toBe(true)
    await juxta.ctx.recorder.flush?.()
    expect((await store.getRun(request.run_id))?.status).toBe('done')
  })
})
