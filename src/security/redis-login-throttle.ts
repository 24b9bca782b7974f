import type { Redis } from 'ioredis'
import {
  blockLine,
  type LoginThrottle,
  MemoryLoginThrottle,
  type ThrottleCheck,
  type ThrottleOptions,
  type ThrottleRules,
  throttleRules,
} from './login-throttle.ts'

export interface RedisThrottleOptions extends Omit<ThrottleOptions, 'maxClients'> {
  /** A connected client with an `error` listener (the caller's; closed by the caller). */
  redis: Redis
  /** Every key starts with it (default `juxta:`), so instances of other deployments and tests never collide. */
  prefix?: string
  /** A Redis call slower than this falls back to this instance's own memory (default 2 s). */
  timeoutMs?: number
}

/**
 * One failure, atomically: the same rules as MemoryLoginThrottle (failures within the window, a block that
 * doubles each round up to the maximum, records forgotten `memory` after their last failure). The record is a
 * hash: f = failure times in the window (space separated), b = blocked until, n = blocks so far, l = last
 * failure. It expires by itself once neither its block nor its memory matters. Returns [block ms or -1, n], or
 * [-2, n, blocked until] for a failure that arrived while the client was blocked (not counted).
 */
const FAILURE_SCRIPT = `
local now = tonumber(ARGV[1])
local maxFailures, windowMs = tonumber(ARGV[2]), tonumber(ARGV[3])
local blockMs, maxBlockMs, memoryMs = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local r = redis.call('HMGET', KEYS[1], 'f', 'b', 'n', 'l')
local b, n, l = tonumber(r[2]) or 0, tonumber(r[3]) or 0, tonumber(r[4]) or 0
if b > now then return {-2, n, b} end
local failures = {}
if r[4] and not (b <= now and l + memoryMs <= now) then
  for t in string.gmatch(r[1] or '', '%S+') do
    if tonumber(t) > now - windowMs then table.insert(failures, t) end
  end
else
  b, n = 0, 0
end
table.insert(failures, string.format('%d', now))
local duration = -1
if #failures >= maxFailures then
  duration = math.min(blockMs * 2 ^ n, maxBlockMs)
  n = n + 1
  b = now + duration
  failures = {}
end
local ttl = math.max(b, now + memoryMs) - now
redis.call('HSET', KEYS[1], 'f', table.concat(failures, ' '), 'b', string.format('%d', b),
  'n', string.format('%d', n), 'l', string.format('%d', now))
redis.call('PEXPIRE', KEYS[1], math.max(1, ttl))
return {duration, n}
`

const AWAY: ReadonlySet<string> = new Set(['reconnecting', 'close', 'end'])

/**
 * The login throttle shared by every instance through Redis: wrong tokens sent to instance A count on instance
 * B. While Redis is away (or slower than `timeoutMs`) the instance throttles on its own memory and logs it once,
 * rather than refuse every login or stop counting.
 */
export class RedisLoginThrottle implements LoginThrottle {
  private readonly rules: ThrottleRules
  private readonly prefix: string
  private readonly timeoutMs: number
  private readonly fallback: MemoryLoginThrottle
  private degraded = false

  constructor(private readonly options: RedisThrottleOptions) {
    this.rules = throttleRules(options)
    this.prefix = `${options.prefix ?? 'juxta:'}login-throttle:`
    this.timeoutMs = options.timeoutMs ?? 2000
    this.fallback = new MemoryLoginThrottle({ ...options })
  }

  async check(client: string): Promise<ThrottleCheck> {
    const local = this.fallback.checkNow(client)
    const shared = await this.shared(() => this.options.redis.hget(this.key(client), 'b'))
    if (shared === undefined || local.blocked) return local
    const now = this.options.now()
    const until = Number(shared ?? 0)
    return until > now ? { blocked: true, retryAfterS: Math.ceil((until - now) / 1000) } : { blocked: false }
  }

  async failure(client: string, context: { via: string; address: string }): Promise<ThrottleCheck> {
    const r = this.rules
    const now = this.options.now()
    const args = [now, r.maxFailures, r.windowMs, r.blockMs, r.maxBlockMs, r.memoryMs]
    const result = await this.shared(
      () => this.options.redis.eval(FAILURE_SCRIPT, 1, this.key(client), ...args) as Promise<number[]>,
    )
    if (result === undefined) return this.fallback.failureNow(client, context)
    const [duration = -1, blocks = 0, until = 0] = result
    if (duration === -2) return { blocked: true, retryAfterS: Math.ceil((until - now) / 1000) }
    if (duration >= 0) this.options.log(blockLine(r, context, duration, blocks))
    return { blocked: false }
  }

  async success(client: string): Promise<void> {
    this.fallback.successNow(client)
    await this.shared(() => this.options.redis.del(this.key(client)))
  }

  private key(client: string): string {
    return `${this.prefix}${client}`
  }

  /** The Redis call's answer, or undefined when Redis failed or took too long (then memory decides). */
  private async shared<T>(call: () => Promise<T>): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined
    try {
      // Known to be away: no call queued behind the reconnect, no waiting for the timeout on every login.
      if (AWAY.has(this.options.redis.status)) throw new Error(`connection ${this.options.redis.status}`)
      const answer = await Promise.race([
        call(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs)
        }),
      ])
      if (this.degraded) this.options.log('auth: login throttle shared through Redis again')
      this.degraded = false
      return answer
    } catch (err) {
      if (!this.degraded)
        this.options.log(`auth: Redis unavailable for the login throttle (${(err as Error).message}); counting locally`)
      this.degraded = true
      return undefined
    } finally {
      clearTimeout(timer)
    }
  }
}
