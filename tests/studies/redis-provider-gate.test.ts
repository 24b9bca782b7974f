import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisProviderGate } from '../../src/studies/redis-provider-gate.ts'
import { type RedisServer, startRedis } from '../helpers/redis-server.ts'

let server: RedisServer
let redis: Redis
beforeAll(async () => {
  server = await startRedis()
  redis = new Redis(server.url)
  redis.on('error', () => {})
})
afterAll(async () => {
  redis?.disconnect()
  await server?.stop()
})

describe('RedisProviderGate', () => {
  it('gives out at most `limit` slots of a scope across gates; a release frees one', async () => {
    const a = new RedisProviderGate({ redis, prefix: 'g1:', instanceId: 'a' })
    const b = new RedisProviderGate({ redis, prefix: 'g1:', instanceId: 'b' })
    const first = await a.tryAcquire('study:p1', 2)
    const second = await b.tryAcquire('study:p1', 2)
    expect(first).not.toBeNull()
    expect(second).not.toBeNull()
    expect(await a.tryAcquire('study:p1', 2)).toBeNull()
    expect(await b.tryAcquire('study:p1', 2)).toBeNull()
    // Another scope (provider) has its own slots.
    const other = await b.tryAcquire('study:p2', 2)
    expect(other).not.toBeNull()
    await second!()
    const third = await a.tryAcquire('study:p1', 2)
    expect(third).not.toBeNull()
    for (const release of [first, third, other]) await release!()
    expect(await redis.zcard('g1:gate:slots:study:p1')).toBe(0)
  })

  it('a holder keeps its slot while it renews; one that stopped (it died) loses it after the TTL', async () => {
    const holder = new RedisProviderGate({ redis, prefix: 'g2:', instanceId: 'live', slotTtlMs: 300 })
    const other = new RedisProviderGate({ redis, prefix: 'g2:', instanceId: 'other', slotTtlMs: 300 })
    const release = await holder.tryAcquire('s:p', 1)
    await new Promise((r) => setTimeout(r, 700))
    expect(await other.tryAcquire('s:p', 1)).toBeNull()
    await release!()

    // What a killed instance leaves: an entry nobody renews, expiring 300 ms from now (server clock).
    const [seconds, micros] = await redis.time()
    await redis.zadd('g2:gate:slots:s:q', Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) + 300, 'dead:1')
    expect(await other.tryAcquire('s:q', 1)).toBeNull()
    let taken: (() => Promise<void>) | null = null
    const deadline = Date.now() + 5_000
    while (!taken && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50))
      taken = await other.tryAcquire('s:q', 1)
    }
    expect(taken).not.toBeNull()
    await taken!()
  })

  it('a back-off holds the provider for every gate, and a shorter one never shortens it', async () => {
    const a = new RedisProviderGate({ redis, prefix: 'g3:', instanceId: 'a' })
    const b = new RedisProviderGate({ redis, prefix: 'g3:', instanceId: 'b' })
    expect(await b.waitMs('p1')).toBe(0)
    await a.hold('p1', 5_000)
    await b.hold('p1', 100)
    const left = await b.waitMs('p1')
    expect(left).toBeGreaterThan(4_000)
    expect(left).toBeLessThanOrEqual(5_000)
    expect(await a.waitMs('p2')).toBe(0)
  })
})
