import { Redis } from 'ioredis'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type LoginThrottle, MemoryLoginThrottle } from '../../src/security/login-throttle.ts'
import { RedisLoginThrottle } from '../../src/security/redis-login-throttle.ts'
import { startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { type RedisServer, startRedis } from '../helpers/redis-server.ts'
import { LoginClient } from './login-client.ts'

const TOKEN = 'shared-throttle-token-0123456789abcdef'
const GUESS = 'a-guess-that-is-never-logged'
const SECOND = 1000
const MINUTE = 60 * SECOND

let redisServer: RedisServer
const clients: Redis[] = []
let prefixes = 0

beforeAll(async () => {
  redisServer = await startRedis()
})
afterAll(async () => {
  for (const c of clients) c.disconnect()
  await redisServer?.stop()
})

function redis(): Redis {
  const client = new Redis(redisServer.url, { maxRetriesPerRequest: 1 })
  client.on('error', () => {})
  clients.push(client)
  return client
}

/** A prefix of its own per test: records of one test never leak into the next. */
const freshPrefix = () => `t${++prefixes}:`

describe.each([
  ['memory', false],
  ['Redis', true],
])('the login throttle rules: %s', (_name, shared) => {
  let now = 0
  let logs: string[] = []
  const make = (): LoginThrottle => {
    const options = { now: () => now, log: (l: string) => logs.push(l) }
    return shared
      ? new RedisLoginThrottle({ ...options, redis: redis(), prefix: freshPrefix() })
      : new MemoryLoginThrottle(options)
  }
  const fail = async (t: LoginThrottle, client: string, times = 1) => {
    for (let i = 0; i < times; i++) await t.failure(client, { via: 'bearer header', address: client })
  }

  beforeEach(() => {
    now = 1_800_000_000_000
    logs = []
  })

  it('blocks after 5 wrong tokens within a minute, for a minute, then twice as long each round', async () => {
    const t = make()
    await fail(t, 'a', 4)
    expect(await t.check('a')).toEqual({ blocked: false })
    await fail(t, 'a')
    expect(await t.check('a')).toEqual({ blocked: true, retryAfterS: 60 })
    now += 59 * SECOND + 1
    expect(await t.check('a')).toEqual({ blocked: true, retryAfterS: 1 })
    now += SECOND
    expect(await t.check('a')).toEqual({ blocked: false })
    await fail(t, 'a', 5)
    expect(await t.check('a')).toEqual({ blocked: true, retryAfterS: 120 })
    now += 2 * MINUTE
    await fail(t, 'a', 5)
    expect(await t.check('a')).toEqual({ blocked: true, retryAfterS: 240 })
    expect(logs).toHaveLength(3)
    expect(logs[2]).toMatch(/5 wrong tokens from a within 60 s \(last via bearer header\); refusing it for 240 s/)
  })

  it('counts only failures inside the window, and none while blocked', async () => {
    const t = make()
    await fail(t, 'a', 4)
    now += MINUTE + 1
    await fail(t, 'a', 4)
    expect((await t.check('a')).blocked).toBe(false)
    expect(await t.failure('a', { via: 'login form', address: 'a' })).toEqual({ blocked: false })
    expect(await t.failure('a', { via: 'login form', address: 'a' })).toEqual({ blocked: true, retryAfterS: 60 })
    now += MINUTE
    // The failure refused while blocked was not counted: four more are needed, not three.
    await fail(t, 'a', 4)
    expect((await t.check('a')).blocked).toBe(false)
  })

  it('caps the block at an hour', async () => {
    const t = make()
    let last = 0
    for (let round = 0; round < 10; round++) {
      await fail(t, 'a', 5)
      const check = await t.check('a')
      if (!check.blocked) throw new Error('not blocked')
      last = check.retryAfterS
      now += check.retryAfterS * SECOND
    }
    expect(last).toBe(3600)
  })

  it('starts a client afresh after a right token, and keeps clients apart', async () => {
    const t = make()
    await fail(t, 'a', 5)
    now += MINUTE
    await fail(t, 'a', 2)
    await t.success('a')
    await fail(t, 'a', 4)
    expect((await t.check('a')).blocked).toBe(false)
    await fail(t, 'a')
    expect(await t.check('a')).toEqual({ blocked: true, retryAfterS: 60 })
    expect(await t.check('b')).toEqual({ blocked: false })
  })

  it('forgets a client a day after its last failure, and its earlier blocks with it', async () => {
    const t = make()
    await fail(t, 'a', 5)
    now += 24 * 60 * MINUTE
    await fail(t, 'a', 5)
    expect(await t.check('a')).toEqual({ blocked: true, retryAfterS: 60 })
  })
})

describe('one throttle for several instances', () => {
  const running: RunningJuxta[] = []
  /** What the instances' throttles logged. */
  const throttleLogs: string[] = []
  afterAll(async () => {
    for (const j of running) await j.close()
  })

  async function instances(prefix: string): Promise<[LoginClient, LoginClient, RunningJuxta[]]> {
    const started: RunningJuxta[] = []
    for (let i = 0; i < 2; i++) {
      const juxta = await startJuxta({
        config: { providers: {} },
        access: { authToken: TOKEN, allowedHosts: [] },
        loginThrottle: new RedisLoginThrottle({
          redis: redis(),
          prefix,
          now: Date.now,
          log: (l) => throttleLogs.push(l),
          // Redis on a loaded test machine may take over the default 2 s; only the outage test wants the fallback.
          timeoutMs: 10_000,
        }),
      })
      started.push(juxta)
      running.push(juxta)
    }
    return [new LoginClient(started[0]!.url, '127.0.0.31'), new LoginClient(started[1]!.url, '127.0.0.31'), started]
  }

  it('counts wrong tokens sent to A on B: the 6th, on either, is refused', async () => {
    const [a, b, [ja, jb]] = await instances(freshPrefix())
    for (let i = 0; i < 3; i++) expect((await a.login(`${GUESS}${i}`)).status).toBe(401)
    for (let i = 0; i < 2; i++) {
      expect((await b.get('/api/targets', { authorization: `Bearer ${GUESS}${i}` })).status).toBe(401)
    }
    const sixth = await a.login(TOKEN)
    expect(sixth.status).toBe(429)
    expect(sixth.headers['retry-after']).toBe('60')
    expect((await b.get('/api/targets', { authorization: `Bearer ${TOKEN}` })).status).toBe(429)
    // Another address is not affected on either instance.
    const other = new LoginClient(ja!.url, '127.0.0.32')
    expect((await other.login(TOKEN)).status).toBe(303)
    expect(throttleLogs.filter((l) => /wrong tokens from 127\.0\.0\.31/.test(l))).toHaveLength(1)
    for (const line of [...ja!.logs, ...jb!.logs, ...throttleLogs]) expect(line).not.toContain(GUESS)
  })

  it('lets through exactly 5 of 30 parallel guesses spread over both instances', async () => {
    const [a, b] = await instances(freshPrefix())
    const guess = (c: LoginClient, i: number) => c.get('/api/targets', { authorization: `Bearer ${GUESS}${i}` })
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => guess(i % 2 ? a : b, i)))
    expect(answers.filter((r) => r.status === 401)).toHaveLength(5)
    expect(answers.filter((r) => r.status === 429)).toHaveLength(25)
  })

  it('keeps deployments with other prefixes apart', async () => {
    const prefix = freshPrefix()
    const [a] = await instances(prefix)
    for (let i = 0; i < 5; i++) await a.login(GUESS)
    expect((await a.login(TOKEN)).status).toBe(429)
    const [elsewhere] = await instances(freshPrefix())
    expect((await elsewhere.login(TOKEN)).status).toBe(303)
  })
})

describe('the shared throttle while Redis is away', () => {
  it('counts on the instance itself, says so once, and shares again when Redis is back', async () => {
    const logs: string[] = []
    let now = 1_800_000_000_000
    const prefix = freshPrefix()
    const options = { prefix, now: () => now, timeoutMs: 300 }
    const t = new RedisLoginThrottle({ ...options, redis: redis(), log: (l) => logs.push(l) })
    const peer = new RedisLoginThrottle({ ...options, redis: redis(), log: () => {} })
    await redisServer.kill()
    try {
      for (let i = 0; i < 5; i++) await t.failure('x', { via: 'login form', address: 'x' })
      expect(await t.check('x')).toEqual({ blocked: true, retryAfterS: 60 })
      expect(logs.filter((l) => /Redis unavailable for the login throttle/.test(l))).toHaveLength(1)
    } finally {
      await redisServer.start()
    }
    // The local block was this instance's alone.
    expect(await peer.check('x')).toEqual({ blocked: false })
    now += MINUTE
    const shared = 'auth: login throttle shared through Redis again'
    await expect
      .poll(
        async () => {
          await t.check('y')
          return logs.includes(shared)
        },
        { timeout: 15_000 },
      )
      .toBe(true)
    for (let i = 0; i < 5; i++) await t.failure('y', { via: 'login form', address: 'y' })
    expect(await peer.check('y')).toEqual({ blocked: true, retryAfterS: 60 })
  })
})
