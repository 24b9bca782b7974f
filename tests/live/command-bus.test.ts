import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import { type RedisServer, startRedis } from '../helpers/redis-server.ts'
import { MemoryCommandBus, RedisCommandBus } from '../../src/live/command-bus.ts'
import type { RunCommand } from '../../src/live/types.ts'

let server: RedisServer
let redis: Redis

beforeAll(async () => {
  server = await startRedis()
  redis = new Redis(server.url)
})

afterAll(async () => {
  redis?.disconnect()
  await server?.stop()
})

describe('the command bus', () => {
  it('in memory delivers to this instance only', async () => {
    const got: RunCommand[] = []
    const bus = new MemoryCommandBus('a')
    bus.listen((c) => got.push(c))
    expect(await bus.send('a', { kind: 'stop', run_id: 'r1' })).toBe(true)
    expect(await bus.send('b', { kind: 'stop', run_id: 'r2' })).toBe(false)
    expect(got).toEqual([{ kind: 'stop', run_id: 'r1' }])
  })

  it('over Redis pub/sub reaches the owner only, and ignores malformed messages', async () => {
    const log = () => {}
    const a = new RedisCommandBus({ redis, prefix: 'bus:', instanceId: 'a', log })
    const b = new RedisCommandBus({ redis, prefix: 'bus:', instanceId: 'b', log })
    const toA: RunCommand[] = []
    const toB: RunCommand[] = []
    a.listen((c) => toA.push(c))
    b.listen((c) => toB.push(c))
    await Promise.all([a.ready(), b.ready()])
    expect(await b.send('a', { kind: 'retry', run_id: 'r1', index: 2 })).toBe(true)
    await redis.publish('bus:commands:a', '{"kind":"format-disk","run_id":"r1"}')
    await redis.publish('bus:commands:a', 'not json')
    expect(await a.send('nobody', { kind: 'stop', run_id: 'r1' })).toBe(false)
    await b.send('a', { kind: 'stop', run_id: 'r3' })
    await expect.poll(() => toA.length).toBe(2)
    expect(toA).toEqual([
      { kind: 'retry', run_id: 'r1', index: 2 },
      { kind: 'stop', run_id: 'r3' },
    ])
    expect(toB).toEqual([])
    await a.close()
    await b.close()
  })
})
