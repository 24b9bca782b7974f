import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { MemoryLoginThrottle } from '../../src/security/login-throttle.ts'
import { LoginClient, sessionCookie } from './login-client.ts'

const TOKEN = 'throttle-test-token-0123456789abcdef'
const GUESS = 'guessed-value-that-must-not-be-logged'
const SECOND = 1000
const MINUTE = 60 * SECOND

describe('LoginThrottle', () => {
  let now = 0
  let logs: string[] = []
  const make = (options: { maxClients?: number } = {}) =>
    new MemoryLoginThrottle({ now: () => now, log: (l) => logs.push(l), ...options })
  const fail = (t: MemoryLoginThrottle, client: string, times = 1) => {
    for (let i = 0; i < times; i++) t.failureNow(client, { via: 'bearer header', address: client })
  }

  beforeEach(() => {
    now = 1_000_000
    logs = []
  })

  it('blocks after 5 wrong tokens within a minute, for a minute, then twice as long each round', () => {
    const t = make()
    fail(t, 'a', 4)
    expect(t.checkNow('a')).toEqual({ blocked: false })
    fail(t, 'a')
    expect(t.checkNow('a')).toEqual({ blocked: true, retryAfterS: 60 })
    now += 59 * SECOND + 1
    expect(t.checkNow('a')).toEqual({ blocked: true, retryAfterS: 1 })
    now += 1 * SECOND
    expect(t.checkNow('a')).toEqual({ blocked: false })
    fail(t, 'a', 5)
    expect(t.checkNow('a')).toEqual({ blocked: true, retryAfterS: 120 })
    now += 2 * MINUTE
    fail(t, 'a', 5)
    expect(t.checkNow('a')).toEqual({ blocked: true, retryAfterS: 240 })
    expect(logs).toHaveLength(3)
    expect(logs[2]).toMatch(/refusing it for 240 s/)
  })

  it('counts only failures inside the window', () => {
    const t = make()
    fail(t, 'a', 4)
    now += MINUTE + 1
    fail(t, 'a', 4)
    expect(t.checkNow('a').blocked).toBe(false)
    fail(t, 'a')
    expect(t.checkNow('a').blocked).toBe(true)
  })

  it('caps the delay at an hour', () => {
    const t = make()
    for (let round = 0; round < 10; round++) {
      fail(t, 'a', 5)
      const check = t.checkNow('a')
      if (!check.blocked) throw new Error('not blocked')
      now += check.retryAfterS * SECOND
      if (round === 9) expect(check.retryAfterS).toBe(3600)
    }
  })

  it('starts a client afresh after a right token', () => {
    const t = make()
    fail(t, 'a', 5)
    now += MINUTE
    fail(t, 'a', 2)
    t.successNow('a')
    fail(t, 'a', 4)
    expect(t.checkNow('a').blocked).toBe(false)
    fail(t, 'a')
    // The first block again, not the second: the record was cleared.
    expect(t.checkNow('a')).toEqual({ blocked: true, retryAfterS: 60 })
  })

  it('keeps clients apart', () => {
    const t = make()
    fail(t, 'a', 5)
    expect(t.checkNow('a').blocked).toBe(true)
    expect(t.checkNow('b').blocked).toBe(false)
  })

  it('bounds its memory: at most maxClients records, the least recently failing forgotten first', () => {
    const t = make({ maxClients: 100 })
    for (let i = 0; i < 1000; i++) fail(t, `client-${i}`)
    expect(t.size).toBe(100)
    fail(t, 'client-999', 4)
    expect(t.checkNow('client-999').blocked).toBe(true)
    expect(logs.filter((l) => /forgetting the oldest/.test(l))).toHaveLength(1)
  })

  it('forgets a client a day after its last failure, and its earlier blocks with it', () => {
    const t = make()
    fail(t, 'a', 5)
    now += 24 * 60 * MINUTE
    fail(t, 'b')
    expect(t.size).toBe(1)
    fail(t, 'a', 5)
    expect(t.checkNow('a')).toEqual({ blocked: true, retryAfterS: 60 })
  })
})

describe('token guessing over HTTP', () => {
  let juxta: RunningJuxta
  let now = 1_800_000_000_000

  beforeAll(async () => {
    const access = { authToken: TOKEN, allowedHosts: [] }
    juxta = await startJuxta({ config: { providers: {} }, access, now: () => now })
  })

  afterAll(async () => {
    await juxta?.close()
  })

  it('answers the 6th wrong login with 429 + Retry-After; another client logs in; later it works again', async () => {
    const guesser = new LoginClient(juxta.url, '127.0.0.21')
    for (let i = 0; i < 5; i++) expect((await guesser.login(`${GUESS}-${i}`)).status).toBe(401)
    const sixth = await guesser.login(`${GUESS}-5`)
    expect(sixth.status).toBe(429)
    expect(sixth.headers['retry-after']).toBe('60')
    expect(sixth.body).toContain('Too many wrong tokens')
    // Blocked means unchecked: even the right token is refused from that client now.
    expect((await guesser.login(TOKEN)).status).toBe(429)
    expect((await guesser.get('/api/targets', { authorization: `Bearer ${TOKEN}` })).status).toBe(429)

    const other = new LoginClient(juxta.url, '127.0.0.22')
    const ok = await other.login(TOKEN)
    expect(ok.status).toBe(303)
    expect((await other.get('/api/targets', { authorization: `Bearer ${TOKEN}` })).status).toBe(200)

    now += 60 * SECOND
    const again = await guesser.login(TOKEN)
    expect(again.status).toBe(303)
    expect((await guesser.get('/settings', { cookie: sessionCookie(again) })).status).toBe(200)
  })

  it('counts wrong bearer tokens the same way, JSON 429 for the API', async () => {
    const guesser = new LoginClient(juxta.url, '127.0.0.23')
    for (let i = 0; i < 5; i++) {
      expect((await guesser.get('/api/targets', { authorization: `Bearer ${GUESS}${i}` })).status).toBe(401)
    }
    const sixth = await guesser.get('/api/targets', { authorization: `Bearer ${GUESS}` })
    expect(sixth.status).toBe(429)
    expect(Number(sixth.headers['retry-after'])).toBe(60)
    expect(JSON.parse(sixth.body).error.message).toMatch(/too many wrong tokens/)
    // The login form shares the count.
    expect((await guesser.login(TOKEN)).status).toBe(429)
  })

  it('blocks a burst of 30 parallel guesses after the 5th, and the delay grows on the next round', async () => {
    const guesser = new LoginClient(juxta.url, '127.0.0.24')
    const guess = (i: number) => guesser.get('/api/targets', { authorization: `Bearer ${GUESS}${i}` })
    const statuses = await Promise.all(Array.from({ length: 30 }, (_, i) => guess(i)))
    expect(statuses.filter((r) => r.status === 401)).toHaveLength(5)
    expect(statuses.filter((r) => r.status === 429)).toHaveLength(25)
    now += 60 * SECOND
    for (let i = 0; i < 5; i++) await guesser.login(GUESS)
    expect((await guesser.login(GUESS)).headers['retry-after']).toBe('120')
  })

  it('a right token resets the count', async () => {
    const c = new LoginClient(juxta.url, '127.0.0.25')
    for (let i = 0; i < 4; i++) await c.login(GUESS)
    expect((await c.get('/api/targets', { authorization: `Bearer ${TOKEN}` })).status).toBe(200)
    for (let i = 0; i < 4; i++) expect((await c.login(GUESS)).status).toBe(401)
    expect((await c.login(TOKEN)).status).toBe(303)
  })

  it('does not count visits without any token, nor stale cookies', async () => {
    const c = new LoginClient(juxta.url, '127.0.0.26')
    for (let i = 0; i < 10; i++) {
      expect((await c.get('/', { accept: 'text/html' })).status).toBe(401)
      expect((await c.get('/history', { cookie: `juxta_auth=${'x'.repeat(43)}` })).status).toBe(401)
    }
    expect((await c.login(TOKEN)).status).toBe(303)
  })

  it('logs each block with the address, never a guessed value or the token', () => {
    const blocks = juxta.logs.filter((l) => /wrong tokens from/.test(l))
    expect(blocks.some((l) => l.includes('127.0.0.21') && /login form/.test(l))).toBe(true)
    expect(blocks.some((l) => l.includes('127.0.0.23') && /bearer header/.test(l))).toBe(true)
    for (const line of juxta.logs) {
      expect(line).not.toContain(GUESS)
      expect(line).not.toContain(TOKEN)
    }
  })
})
