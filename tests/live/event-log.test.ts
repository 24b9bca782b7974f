import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import { type RedisServer, startRedis } from '../helpers/redis-server.ts'
import { MemoryEventLog } from '../../src/live/memory-event-log.ts'
import { RedisEventLog } from '../../src/live/redis-event-log.ts'
import type { LiveEntry, LiveEvent, RunEventLog, RunStartEvent } from '../../src/live/types.ts'

let server: RedisServer
let redis: Redis
let prefixes = 0
const logs: string[] = []

beforeAll(async () => {
  server = await startRedis()
  redis = new Redis(server.url)
  redis.on('error', () => {})
})

afterAll(async () => {
  redis?.disconnect()
  await server?.stop()
})

const start = (runId: string): RunStartEvent => ({
  type: 'start',
  run_id: runId,
  owner: 'a',
  created_at: new Date(0).toISOString(),
  targets: ['p/m', 'p/n'],
  labels: ['M', 'N'],
  prompt: 'hi',
  parent_id: null,
})

const delta = (index: number, text: string): LiveEvent => ({ type: 'delta', index, kind: 'text', text })

const textOf = (entries: LiveEntry[], index: number) =>
  entries.map((e) => (e.event.type === 'delta' && e.event.index === index ? e.event.text : '')).join('')

/** Follows a log to its end (or for `batches` batches). */
async function readUntilEnd(log: RunEventLog, runId: string, after?: string, batches = Infinity): Promise<LiveEntry[]> {
  const got: LiveEntry[] = []
  let n = 0
  for await (const batch of log.follow(runId, after, new AbortController().signal)) {
    got.push(...batch)
    if (++n >= batches) break
  }
  return got
}

const kinds: Array<[string, () => RunEventLog]> = [
  ['in memory', () => new MemoryEventLog()],
  ['in Redis Streams', () => new RedisEventLog({ redis, prefix: `t${++prefixes}:`, log: (l) => logs.push(l) })],
]

describe.each(kinds)('the run event log %s', (_name, make) => {
  it('keeps a run in order, reads after an id, follows to the end', async () => {
    const log = make()
    expect(await log.read('r1')).toBeNull()
    log.append('r1', start('r1'))
    log.append('r1', delta(0, 'Hel'))
    log.append('r1', delta(0, 'lo'))
    log.append('r1', { type: 'first-token', index: 1, ttft_ms: 3 })
    const following = readUntilEnd(log, 'r1')
    await new Promise((r) => setTimeout(r, 120))
    log.append('r1', delta(1, 'Yes'))
    log.append('r1', { type: 'end' })
    const all = await following
    expect(all[0]!.event).toEqual(start('r1'))
    expect(all.at(-1)!.event).toEqual({ type: 'end' })
    expect(textOf(all, 0)).toBe('Hello')
    expect(textOf(all, 1)).toBe('Yes')
    // The deltas of column 0 came before its neighbour's first token, and stay so.
    const firstToken = all.findIndex((e) => e.event.type === 'first-token')
    expect(all.findIndex((e) => e.event.type === 'delta' && e.event.index === 0)).toBeLessThan(firstToken)
    const stored = (await log.read('r1'))!
    expect(stored.map((e) => e.id)).toEqual(all.map((e) => e.id))
    // After an id: exactly what follows it, from a read or from a follower.
    const cut = stored[1]!.id
    expect(await log.read('r1', cut)).toEqual(stored.slice(2))
    expect(await readUntilEnd(log, 'r1', cut)).toEqual(stored.slice(2))
    await log.close()
  })

  it('coalesces a 1,000-delta answer into a few entries', async () => {
    const log = make()
    log.append('big', start('big'))
    let expected = ''
    for (let i = 0; i < 1000; i++) {
      log.append('big', delta(0, ` t${i}`))
      expected += ` t${i}`
      if (i % 250 === 249) await new Promise((r) => setTimeout(r, 60))
    }
    log.append('big', { type: 'end' })
    const entries = await readUntilEnd(log, 'big')
    expect(textOf(entries, 0)).toBe(expected)
    const deltas = entries.filter((e) => e.event.type === 'delta').length
    expect(deltas).toBeGreaterThanOrEqual(4)
    expect(deltas).toBeLessThan(20)
    await log.close()
  })

  it('stops following when the reader leaves', async () => {
    const log = make()
    log.append('r2', start('r2'))
    const controller = new AbortController()
    const batches: LiveEntry[][] = []
    const following = (async () => {
      for await (const b of log.follow('r2', undefined, controller.signal)) batches.push(b)
    })()
    await new Promise((r) => setTimeout(r, 100))
    controller.abort()
    await following
    expect(batches.flat().map((e) => e.event.type)).toEqual(['start'])
    await log.close()
  })
})

describe('the in-memory event log', () => {
  it('keeps a bounded number of entries per run, the start always first', async () => {
    const log = new MemoryEventLog({ maxEntries: 50 })
    log.append('long', start('long'))
    for (let i = 0; i < 500; i++) log.append('long', { type: 'first-token', index: 0, ttft_ms: i })
    const entries = (await log.read('long'))!
    expect(entries).toHaveLength(50)
    expect(entries[0]?.event).toMatchObject({ type: 'start', run_id: 'long' })
    expect(entries.at(-1)?.event).toMatchObject({ ttft_ms: 499 })
    await log.close()
  })

  it('forgets a run some time after its end, and keeps a bounded number of runs', async () => {
    const log = new MemoryEventLog({ ttlMs: 30, maxRuns: 2 })
    log.append('old', start('old'))
    log.append('old', { type: 'end' })
    log.append('live', start('live'))
    log.append('new', start('new'))
    // Over two runs: the ended one goes first, the running ones stay.
    expect(await log.read('old')).toBeNull()
    expect(await log.read('live')).toHaveLength(1)
    log.append('new', { type: 'end' })
    await new Promise((r) => setTimeout(r, 80))
    expect(await log.read('new')).toBeNull()
    expect(await log.read('live')).toHaveLength(1)
    await log.close()
  })

  it('lets a huge answer go as soon as its run ends (history holds it)', async () => {
    const log = new MemoryEventLog({ endedBytes: 10_000 })
    log.append('small', start('small'))
    log.append('small', { type: 'end' })
    log.append('huge', start('huge'))
    log.append('huge', delta(0, 'x'.repeat(50_000)))
    expect(textOf(await readUntilEnd(log, 'huge', undefined, 2), 0)).toHaveLength(50_000)
    log.append('huge', { type: 'end' })
    expect(await log.read('huge')).toBeNull()
    expect(await log.read('small')).toHaveLength(2)
    await log.close()
  })
})

describe('the Redis event log', () => {
  it('expires a log some minutes after its end', async () => {
    const prefix = `t${++prefixes}:`
    const log = new RedisEventLog({ redis, prefix, log: (l) => logs.push(l), ttlSeconds: 120 })
    log.append('ttl', start('ttl'))
    log.append('ttl', delta(0, 'x'))
    log.append('ttl', { type: 'end' })
    await readUntilEnd(log, 'ttl')
    const ttl = await redis.ttl(`${prefix}run:ttl:events`)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(120)
    await log.close()
  })

  it('trims a stream to about its MAXLEN', async () => {
    const prefix = `t${++prefixes}:`
    const log = new RedisEventLog({ redis, prefix, log: () => {}, maxLen: 100 })
    log.append('long', start('long'))
    for (let i = 0; i < 1000; i++) log.append('long', { type: 'first-token', index: 0, ttft_ms: i })
    log.append('long', { type: 'end' })
    await readUntilEnd(log, 'long')
    const length = await redis.xlen(`${prefix}run:long:events`)
    expect(length).toBeLessThan(300)
    expect(length).toBeGreaterThanOrEqual(100)
    // The trimmed head held the start: it still comes first (watchers, Stop and retry find the owner there).
    const entries = (await log.read('long'))!
    expect(entries[0]?.event).toMatchObject({ type: 'start', run_id: 'long' })
    expect(entries[1]?.event.type).toBe('first-token')
    await log.close()
  })

  it('keeps an expiry on a stream whose start was lost (no key outlives its run by more than a day)', async () => {
    const prefix = `t${++prefixes}:`
    const log = new RedisEventLog({ redis, prefix, log: () => {}, orphanTtlSeconds: 3600 })
    log.append('orphan', delta(0, 'no start seen'))
    log.append('orphan', { type: 'first-token', index: 0, ttft_ms: 1 })
    await log.close()
    await new Promise((r) => setTimeout(r, 100))
    const ttl = await redis.ttl(`${prefix}run:orphan:events`)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(3600)
  })

  it('drops entries with one log line while Redis is away, and never throws to the run', async () => {
    const lines: string[] = []
    const down = new Redis({ port: 1, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 })
    down.on('error', () => {})
    const log = new RedisEventLog({ redis: down, prefix: 'down:', log: (l) => lines.push(l) })
    expect(() => {
      log.append('r', start('r'))
      for (let i = 0; i < 100; i++) log.append('r', delta(0, 'x'))
      log.append('r', { type: 'result', index: 0, result: {} as never })
      log.append('r', { type: 'end' })
    }).not.toThrow()
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/Redis unavailable, live entries dropped/)
    await log.close()
    down.disconnect()
  })
})
