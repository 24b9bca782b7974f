import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { buildRequest, executeRun } from '../../src/engine/run-service.ts'
import type { RunEvent } from '../../src/engine/types.ts'
import type { TargetResult } from '../../src/domain/types.ts'
import { StoreRecorder } from '../../src/storage/recorder.ts'
import { openSqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import type { PartialUpdate, RunStore } from '../../src/storage/types.ts'
import { fakeConfig, TEST_KEY } from '../helpers/juxta.ts'
import { startFakeUpstream } from '../helpers/fake-upstream.ts'
import { harness, tempDir, until } from './fixtures.ts'

const tmp = tempDir()
afterAll(() => tmp.cleanup())

describe('StoreRecorder with the engine', () => {
  it('stores a run exactly as the engine returned it', async () => {
    const h = harness(tmp.db('round-trip.db'))
    const run = await h.run({
      prompt: 'Explain WAL mode',
      system: 'Be brief.',
      targets: ['demo/fast', 'demo/thinker', 'demo/unpriced'],
      params: { temperature: 0.3, max_tokens: 300 },
    })
    const stored = await h.store.getRun(run.run_id)
    expect(stored).not.toBeNull()
    expect(stored!.results).toEqual(run.results)
    expect(stored!.status).toBe('done')
    expect(stored!.created_at).toBe(run.created_at)
    expect(Date.parse(stored!.finished_at!)).toBeGreaterThanOrEqual(Date.parse(run.created_at))
    expect(stored).toMatchObject({
      prompt: 'Explain WAL mode',
      system: 'Be brief.',
      params: { temperature: 0.3, max_tokens: 300 },
      targets: ['demo/fast', 'demo/thinker', 'demo/unpriced'],
      parent_id: null,
      conversation_id: run.run_id,
      turn: 1,
      parent: null,
      children: [],
    })
    // The figures that matter survived: reasoning, usage, priced and unpriced costs.
    const [fast, thinker, unpriced] = stored!.results
    expect(fast!.text.length).toBeGreaterThan(20)
    expect(thinker!.reasoning.length).toBeGreaterThan(20)
    expect(fast!.cost.source).toBe('computed')
    expect(fast!.cost.total_usd).toBeGreaterThan(0)
    expect(unpriced!.cost).toMatchObject({ source: 'unknown', total_usd: null })
    expect(h.logs.filter((l) => l.startsWith('history:'))).toEqual([])
    await h.store.close()
  })

  it('writes text received so far while the run streams, batched instead of per token', async () => {
    const path = tmp.db('partial.db')
    const writes: PartialUpdate[][] = []
    const base = openSqliteRunStore(path)
    const counting: RunStore = Object.assign(Object.create(base) as RunStore, {
      appendPartials: (updates: PartialUpdate[]) => {
        writes.push(updates)
        return base.appendPartials(updates)
      },
    })
    const h = harness(path, { store: counting })
    let deltas = 0
    const request = buildRequest({ prompt: 'Write at length', targets: ['demo/slow', 'demo/fast'], params: {} })
    const started = Date.now()
    const running = executeRun(
      h.ctx,
      request,
      { prompt: 'Write at length', system: null, parent_id: null },
      {
        signal: new AbortController().signal,
        onEvent: (e: RunEvent) => {
          if (e.type === 'delta') deltas++
        },
      },
    )
    const midway = await until(async () => {
      const run = await h.store.getRun(request.run_id)
      const slow = run?.results[0]
      return slow && slow.status === 'running' && slow.text.length > 40 ? run : null
    })
    const elapsed = Date.now() - started
    expect(midway.status).toBe('running')
    expect(midway.results[0]).toMatchObject({ status: 'running', cost: { source: 'unknown', reason: 'running' } })
    // The fast target had already ended: its final result is in, not a partial one.
    expect(midway.results[1]!.status).toBe('ok')
    // Far fewer writes than deltas: at most one batch per flush interval.
    expect(deltas).toBeGreaterThan(20)
    expect(writes.length).toBeLessThanOrEqual(Math.ceil(elapsed / 500) + 1)
    const run = await running
    await h.recorder.flush()
    const final = await h.store.getRun(request.run_id)
    expect(final!.status).toBe('done')
    expect(final!.results).toEqual(run.results)
    expect(run.results[0]!.text.startsWith(midway.results[0]!.text)).toBe(true)
    expect(run.results[0]!.text.length).toBeGreaterThan(midway.results[0]!.text.length)
    await base.close()
  })

  it('keeps the text received before a cancel, and no key ever reaches the database', async () => {
    const upstream = await startFakeUpstream()
    const path = tmp.db('cancel.db')
    const h = harness(path, {
      config: fakeConfig({ fake: { base_url: upstream.url, models: ['text:400:10', 'fault:401'] } }),
    })
    const controller = new AbortController()
    const running = h.run({ targets: ['fake/text:400:10', 'fake/fault:401'] }, { signal: controller.signal })
    await until(async () => {
      const page = await h.store.listRuns({ limit: 1 })
      const id = page.runs[0]?.run_id
      const run = id ? await h.store.getRun(id) : null
      return run && run.results[0]!.text.length > 20
    })
    controller.abort()
    const run = await running
    const stored = await h.store.getRun(run.run_id)
    expect(stored!.results[0]).toMatchObject({ status: 'cancelled' })
    expect(stored!.results[0]!.text.length).toBeGreaterThan(20)
    expect(stored!.results).toEqual(run.results)
    expect(stored!.results[1]!.error!.kind).toBe('auth')
    await h.store.close()
    await upstream.close()
    const files = readdirSync(tmp.dir).filter((f) => f.startsWith('cancel.db'))
    expect(files.length).toBeGreaterThan(0)
    for (const file of files) expect(readFileSync(join(tmp.dir, file)).includes(TEST_KEY)).toBe(false)
  })

  it('never throws into the engine when the database is gone, and logs once per kind', async () => {
    const h = harness(tmp.db('closed.db'))
    await h.store.close()
    const run = await h.run({ targets: ['demo/fast', 'demo/thinker'] })
    expect(run.results.map((r) => r.status)).toEqual(['ok', 'ok'])
    const history = h.logs.filter((l) => l.startsWith('history:'))
    expect(history.length).toBeGreaterThan(0)
    expect(history.some((l) => l.includes('start'))).toBe(true)
    expect(new Set(history).size).toBe(history.length)
  })

  it('keeps text a failed flush could not write and writes it with the next one', async () => {
    const path = tmp.db('retry-flush.db')
    const base = openSqliteRunStore(path)
    let failNext = true
    const flaky: RunStore = Object.assign(Object.create(base) as RunStore, {
      appendPartials: async (updates: PartialUpdate[]) => {
        if (failNext) {
          failNext = false
          throw new Error('SQLITE_BUSY: database is locked')
        }
        return base.appendPartials(updates)
      },
    })
    const logs: string[] = []
    const recorder = new StoreRecorder(flaky, { log: (l) => logs.push(l), flushMs: 10_000 })
    const request = buildRequest({ prompt: 'p', targets: ['demo/fast'], params: {} })
    recorder.started(request, { prompt: 'p', system: null, parent_id: null })
    recorder.event(request.run_id, { type: 'delta', index: 0, kind: 'text', text: 'Hello' })
    await recorder.flush()
    recorder.event(request.run_id, { type: 'delta', index: 0, kind: 'text', text: ', world' })
    await recorder.flush()
    const stored = await base.getRun(request.run_id)
    expect(stored!.results[0]!.text).toBe('Hello, world')
    expect(logs).toEqual(['history: could not save partial: SQLITE_BUSY: database is locked'])
    await base.close()
  })

  it('redacts known keys from stored error messages', async () => {
    const store = openSqliteRunStore(tmp.db('redact.db'))
    const recorder = new StoreRecorder(store, { log: () => {}, secrets: () => [TEST_KEY] })
    const request = buildRequest({ prompt: 'p', targets: ['demo/fast'], params: {} })
    recorder.started(request, { prompt: 'p', system: null, parent_id: null })
    const result: TargetResult = {
      target: 'demo/fast',
      label: 'Demo fast',
      model: null,
      status: 'error',
      text: '',
      reasoning: '',
      finish_reason: null,
      usage: {
        input_tokens: null,
        cached_input_tokens: null,
        output_tokens: null,
        reasoning_tokens: null,
        source: 'none',
      },
      cost: {
        input_usd: null,
        output_usd: null,
        total_usd: null,
        source: 'unknown',
        reason: 'no-usage',
        price_source: null,
        unit_price: null,
      },
      timing: { ttft_ms: null, first_answer_ms: null, total_ms: 12.5, output_tokens_per_s: null },
      error: { kind: 'auth', message: `Incorrect API key provided: ${TEST_KEY}`, status: 401 },
      attempts: 1,
    }
    recorder.event(request.run_id, { type: 'result', index: 0, result })
    recorder.finished(request.run_id, [result])
    await recorder.flush()
    const stored = await store.getRun(request.run_id)
    expect(stored!.results[0]!.error!.message).toBe('Incorrect API key provided: [redacted]')
    const raw = store.db.prepare('SELECT error_json FROM results').pluck().get() as string
    expect(raw).not.toContain(TEST_KEY)
    await store.close()
  })
})

describe('StoreRecorder batches', () => {
  /** A SQLite store that counts its transactions and what ran inside each. */
  function counting(path: string) {
    const base = openSqliteRunStore(path)
    const batches: string[][] = []
    let current: string[] | null = null
    const wrap =
      <A extends unknown[]>(name: string, fn: (...args: A) => Promise<void>) =>
      (...args: A) => {
        current?.push(name)
        return fn.apply(base, args)
      }
    const store: RunStore = Object.assign(Object.create(base) as RunStore, {
      startRun: wrap('start', base.startRun),
      saveResult: wrap('result', base.saveResult),
      finishRun: wrap('finish', base.finishRun),
      appendPartials: wrap('partial', base.appendPartials),
      inTransaction: <T>(fn: () => T): T => {
        current = []
        try {
          return base.inTransaction(fn)
        } finally {
          batches.push(current)
          current = null
        }
      },
    })
    return { base, store, batches }
  }

  const meta = { prompt: 'p', system: null, parent_id: null }

  it('writes the starts of runs begun in one event-loop turn in one transaction, after that turn', async () => {
    const { base, store, batches } = counting(tmp.db('batch-start.db'))
    const recorder = new StoreRecorder(store, { log: () => {} })
    const requests = [1, 2, 3].map(() => buildRequest({ prompt: 'p', targets: ['demo/fast'], params: {} }))
    for (const r of requests) recorder.started(r, meta)
    // Nothing is written on the caller's path.
    expect(batches).toEqual([])
    expect(await base.getRun(requests[0]!.run_id)).toBeNull()
    await new Promise((resolve) => setImmediate(resolve))
    expect(batches).toEqual([['start', 'start', 'start']])
    for (const r of requests) expect((await base.getRun(r.run_id))!.status).toBe('running')
    await base.close()
  })

  it('holds later writes to one batch per tick while busy, but not a finished run', async () => {
    const { base, store, batches } = counting(tmp.db('batch-tick.db'))
    const recorder = new StoreRecorder(store, { log: () => {}, tickMs: 60_000, flushMs: 60_000 })
    const a = buildRequest({ prompt: 'p', targets: ['demo/fast'], params: {} })
    const b = buildRequest({ prompt: 'p', targets: ['demo/fast'], params: {} })
    recorder.started(a, meta)
    await new Promise((resolve) => setImmediate(resolve))
    recorder.started(b, meta)
    recorder.event(a.run_id, { type: 'delta', index: 0, kind: 'text', text: 'Hello' })
    await new Promise((resolve) => setTimeout(resolve, 20))
    // Within the tick: b's start waits for the next batch.
    expect(batches).toEqual([['start']])
    const run = await executeRun(
      {
        ...harness(tmp.db('batch-tick-engine.db')).ctx,
        recorder: { started() {}, event() {}, finished() {} },
      },
      buildRequest({ prompt: 'p', targets: ['demo/fast'], params: {} }),
      meta,
      { signal: new AbortController().signal },
    )
    const result = run.results[0]!
    recorder.event(a.run_id, { type: 'result', index: 0, result })
    recorder.finished(a.run_id, [result])
    // A finished run does not wait for the tick: every queued write (b's start too) goes in one transaction at
    // the end of this event-loop turn.
    expect(batches).toEqual([['start']])
    await new Promise((resolve) => setImmediate(resolve))
    expect(batches).toEqual([['start'], ['start', 'result', 'finish']])
    const stored = await base.getRun(a.run_id)
    expect(stored!.status).toBe('done')
    expect(stored!.results[0]!.text).toBe(result.text)
    expect((await base.getRun(b.run_id))!.status).toBe('running')
    await base.close()
  })

  it('writes each queued write alone when the batch commit fails, and logs the one that fails', async () => {
    const base = openSqliteRunStore(tmp.db('batch-fallback.db'))
    let commits = 0
    const store: RunStore = Object.assign(Object.create(base) as RunStore, {
      // The batch runs, then its commit fails: SQLite rolls all of it back.
      inTransaction: <T>(fn: () => T): T => {
        commits++
        return base.db
          .transaction(() => {
            fn()
            throw new Error('SQLITE_FULL: database or disk is full')
          })
          .immediate() as T
      },
      saveResult: async () => {
        throw new Error('SQLITE_CONSTRAINT: refused')
      },
    })
    const logs: string[] = []
    const recorder = new StoreRecorder(store, { log: (l) => logs.push(l) })
    const request = buildRequest({ prompt: 'p', targets: ['demo/fast'], params: {} })
    recorder.started(request, meta)
    recorder.event(request.run_id, { type: 'delta', index: 0, kind: 'text', text: 'kept' })
    await recorder.flush()
    expect(commits).toBe(1)
    const stored = await base.getRun(request.run_id)
    expect(stored!.results[0]!.text).toBe('kept')
    expect(logs).toEqual([])
    const other = buildRequest({ prompt: 'p', targets: ['demo/fast'], params: {} })
    recorder.started(other, meta)
    recorder.event(other.run_id, {
      type: 'result',
      index: 0,
      result: { ...stored!.results[0]!, status: 'ok' } as TargetResult,
    })
    await recorder.flush()
    expect((await base.getRun(other.run_id))!.status).toBe('running')
    expect(logs).toEqual([`history: could not save result of run ${other.run_id}: SQLITE_CONSTRAINT: refused`])
    await base.close()
  })
})

describe('follow-up turns', () => {
  it('chains turns and rebuilds each target’s own conversation', async () => {
    const h = harness(tmp.db('conversation.db'))
    const first = await h.run({ prompt: 'Name a colour', targets: ['demo/fast', 'demo/thinker'] })
    const history = await h.store.conversationFor(first.run_id)
    expect(history).toEqual({
      'demo/fast': [
        { role: 'user', content: 'Name a colour' },
        { role: 'assistant', content: first.results[0]!.text },
      ],
      'demo/thinker': [
        { role: 'user', content: 'Name a colour' },
        { role: 'assistant', content: first.results[1]!.text },
      ],
    })
    const second = await h.run({
      prompt: 'And another one?',
      targets: ['demo/fast', 'demo/thinker'],
      history: history!,
      parentId: first.run_id,
    })
    const stored = await h.store.getRun(second.run_id)
    expect(stored).toMatchObject({ parent_id: first.run_id, conversation_id: first.run_id, turn: 2 })
    expect(stored!.parent).toMatchObject({ run_id: first.run_id, prompt: 'Name a colour', status: 'done' })
    const parent = await h.store.getRun(first.run_id)
    expect(parent!.children.map((c) => c.run_id)).toEqual([second.run_id])

    const next = await h.store.conversationFor(second.run_id)
    expect(next!['demo/fast']).toEqual([
      { role: 'user', content: 'Name a colour' },
      { role: 'assistant', content: first.results[0]!.text },
      { role: 'user', content: 'And another one?' },
      { role: 'assistant', content: second.results[0]!.text },
    ])
    expect(next!['demo/thinker']![3]).toEqual({ role: 'assistant', content: second.results[1]!.text })
    expect(await h.store.conversationFor('missing')).toBeNull()
    await h.store.close()
  })

  it('leaves out turns a target never answered', async () => {
    const h = harness(tmp.db('unanswered.db'))
    const controller = new AbortController()
    controller.abort()
    const first = await h.run({ prompt: 'Never answered', targets: ['demo/fast'] }, { signal: controller.signal })
    expect(first.results[0]!.text).toBe('')
    const history = await h.store.conversationFor(first.run_id)
    expect(history).toEqual({ 'demo/fast': [] })
    await h.store.close()
  })
})
