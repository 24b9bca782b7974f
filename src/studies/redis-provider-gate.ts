import type { Redis } from 'ioredis'
import type { BackOffGate } from './provider-gate.ts'

/** A holder not renewed for this long is gone (its instance died): its slot frees itself. */
const SLOT_TTL_MS = 20_000

// Server time, so instances with skewed clocks agree on when a holder expires.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
  return 1
end
return 0
`

const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[1]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return n
`

// Only ever lengthens a hold: a short Retry-After seen later never shortens a longer one.
const HOLD = `
local left = redis.call('PTTL', KEYS[1])
if left < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 1
`

export interface RedisGateOptions {
  redis: Redis
  /** Every key starts with it (e.g. `juxta:`). */
  prefix: string
  /** Who holds a slot: unique per instance (and per cell, see `acquire`). */
  instanceId: string
  /** How long a slot outlives its holder's last renewal (renewed every quarter of it). Default 20 s. */
  slotTtlMs?: number
}

/**
 * The provider gate shared by every instance of a team. Concurrency: a semaphore per study and provider, a ZSET
 * of holders each with an expiry (renewed while its cell runs), so an instance that dies frees its slots within
 * `slotTtlMs`. Back-off: one key per provider set with PX = the Retry-After, so a 429 seen by one instance holds
 * the provider on all of them.
 */
export class RedisProviderGate implements BackOffGate {
  private seq = 0
  private readonly ttl: number

  constructor(private readonly o: RedisGateOptions) {
    this.ttl = o.slotTtlMs ?? SLOT_TTL_MS
  }

  async hold(provider: string, ms: number): Promise<void> {
    const wait = Math.ceil(ms)
    if (wait <= 0) return
    await this.o.redis.eval(HOLD, 1, this.backOffKey(provider), String(wait))
  }

  async waitMs(provider: string): Promise<number> {
    const left = await this.o.redis.pttl(this.backOffKey(provider))
    return Math.max(0, left)
  }

  /**
   * Takes one of `limit` slots of `scope` (a study and provider) if one is free; the returned release frees it.
   * Null when all are taken. The slot is renewed until released.
   */
  async tryAcquire(scope: string, limit: number): Promise<(() => Promise<void>) | null> {
    const key = `${this.o.prefix}gate:slots:${scope}`
    const holder = `${this.o.instanceId}:${++this.seq}`
    const ok = await this.o.redis.eval(ACQUIRE, 1, key, String(this.ttl), String(limit), holder)
    if (ok !== 1) return null
    const timer = setInterval(() => {
      this.o.redis.eval(RENEW, 1, key, String(this.ttl), holder).catch(() => {
        // Redis away: the slot may lapse; the cell goes on, the limit is briefly loose rather than stuck.
      })
    }, this.ttl / 4)
    timer.unref()
    let released = false
    return async () => {
      if (released) return
      released = true
      clearInterval(timer)
      await this.o.redis.zrem(key, holder)
    }
  }

  private backOffKey(provider: string): string {
    return `${this.o.prefix}gate:backoff:${provider}`
  }
}
