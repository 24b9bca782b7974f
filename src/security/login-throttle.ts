export interface ThrottleOptions {
  now: () => number
  log: (line: string) => void
  /** Wrong tokens allowed per client within `windowMs` before it is blocked. */
  maxFailures?: number
  windowMs?: number
  /** The first block; each further one doubles, up to `maxBlockMs`. */
  blockMs?: number
  maxBlockMs?: number
  /** How long a client's earlier blocks still count towards a longer one. */
  memoryMs?: number
  /** Clients tracked at once; past it the least recently failing are forgotten. */
  maxClients?: number
}

interface Entry {
  /** Times of the wrong tokens since the last block, oldest first (at most maxFailures). */
  failures: number[]
  blockedUntil: number
  /** Blocks so far: the next one lasts blockMs × 2^blocks. */
  blocks: number
  lastFailure: number
}

export type ThrottleCheck = { blocked: false } | { blocked: true; retryAfterS: number }

/**
 * The token-guessing throttle, per client. In memory by default (one instance); `RedisLoginThrottle` keeps the
 * same records in Redis so every instance behind a proxy counts a client's failures together.
 */
export interface LoginThrottle {
  /** Whether `client` may try a token now. */
  check(client: string): Promise<ThrottleCheck>
  /**
   * Records a wrong token; `via` and `address` only go to the log. When the client was blocked meanwhile (an
   * attempt racing others that another instance or request already counted), it is not counted and the block
   * is returned, so the attempt is answered as throttled.
   */
  failure(client: string, context: { via: string; address: string }): Promise<ThrottleCheck>
  /** A right token: the client starts afresh. */
  success(client: string): Promise<void>
}

const MINUTE = 60_000

/** The rules with their defaults filled in: shared by the memory and the Redis throttle. */
export interface ThrottleRules {
  maxFailures: number
  windowMs: number
  blockMs: number
  maxBlockMs: number
  memoryMs: number
}

export function throttleRules(options: Omit<ThrottleOptions, 'now' | 'log'>): ThrottleRules {
  return {
    maxFailures: options.maxFailures ?? 5,
    windowMs: options.windowMs ?? MINUTE,
    blockMs: options.blockMs ?? MINUTE,
    maxBlockMs: options.maxBlockMs ?? 60 * MINUTE,
    memoryMs: options.memoryMs ?? 24 * 60 * MINUTE,
  }
}

/** The log line of a new block, the same from every throttle. */
export function blockLine(
  rules: Pick<ThrottleRules, 'maxFailures' | 'windowMs'>,
  context: { via: string; address: string },
  durationMs: number,
  blocks: number,
): string {
  return (
    `auth: ${rules.maxFailures} wrong tokens from ${context.address} within ${rules.windowMs / 1000} s ` +
    `(last via ${context.via}); refusing it for ${durationMs / 1000} s (block ${blocks})`
  )
}

/**
 * Slows down token guessing, per client: after `maxFailures` wrong tokens within `windowMs` the client is
 * refused (429) for `blockMs`, then twice as long after each further round, up to `maxBlockMs`. A right
 * token clears the client's record. Memory is bounded: at most `maxClients` records, and a record is
 * dropped `memoryMs` after its last failure. The guessed values are never seen here, so never logged.
 */
export class MemoryLoginThrottle implements LoginThrottle {
  private readonly clients = new Map<string, Entry>()
  private readonly maxFailures: number
  private readonly windowMs: number
  private readonly blockMs: number
  private readonly maxBlockMs: number
  private readonly memoryMs: number
  private readonly maxClients: number
  private lastFullLog = -Infinity

  constructor(private readonly options: ThrottleOptions) {
    const rules = throttleRules(options)
    this.maxFailures = rules.maxFailures
    this.windowMs = rules.windowMs
    this.blockMs = rules.blockMs
    this.maxBlockMs = rules.maxBlockMs
    this.memoryMs = rules.memoryMs
    this.maxClients = options.maxClients ?? 10_000
  }

  /** Whether `client` may try a token now. */
  async check(client: string): Promise<ThrottleCheck> {
    return this.checkNow(client)
  }

  /** The same check without a promise (the Redis throttle's fallback while Redis is away). */
  checkNow(client: string): ThrottleCheck {
    const entry = this.live(client)
    const now = this.options.now()
    if (!entry || entry.blockedUntil <= now) return { blocked: false }
    return { blocked: true, retryAfterS: Math.ceil((entry.blockedUntil - now) / 1000) }
  }

  /** Records a wrong token; `via` and `address` only go to the log. */
  async failure(client: string, context: { via: string; address: string }): Promise<ThrottleCheck> {
    return this.failureNow(client, context)
  }

  failureNow(client: string, context: { via: string; address: string }): ThrottleCheck {
    const now = this.options.now()
    let entry = this.live(client)
    if (entry && entry.blockedUntil > now) {
      return { blocked: true, retryAfterS: Math.ceil((entry.blockedUntil - now) / 1000) }
    }
    if (entry) {
      this.clients.delete(client) // re-inserted below: Map order is then least recently failing first
    } else {
      this.makeRoom(now)
      entry = { failures: [], blockedUntil: 0, blocks: 0, lastFailure: now }
    }
    this.clients.set(client, entry)
    entry.lastFailure = now
    entry.failures = entry.failures.filter((t) => t > now - this.windowMs)
    entry.failures.push(now)
    if (entry.failures.length < this.maxFailures) return { blocked: false }
    const duration = Math.min(this.blockMs * 2 ** entry.blocks, this.maxBlockMs)
    entry.blocks++
    entry.blockedUntil = now + duration
    entry.failures = []
    const rules = { maxFailures: this.maxFailures, windowMs: this.windowMs }
    this.options.log(blockLine(rules, context, duration, entry.blocks))
    return { blocked: false }
  }

  /** A right token: the client starts afresh. */
  async success(client: string): Promise<void> {
    this.successNow(client)
  }

  successNow(client: string): void {
    this.clients.delete(client)
  }

  /** Clients currently tracked (for tests of the memory bound). */
  get size(): number {
    return this.clients.size
  }

  private live(client: string): Entry | undefined {
    const entry = this.clients.get(client)
    if (entry && this.expired(entry, this.options.now())) {
      this.clients.delete(client)
      return undefined
    }
    return entry
  }

  private expired(entry: Entry, now: number): boolean {
    return entry.blockedUntil <= now && entry.lastFailure + this.memoryMs <= now
  }

  /** Map order is least recently failing first, so expired records sit at the front: no full sweep. */
  private makeRoom(now: number): void {
    let dropped = 0
    for (const [client, entry] of this.clients) {
      if (this.expired(entry, now)) this.clients.delete(client)
      else if (this.clients.size >= this.maxClients) {
        this.clients.delete(client)
        dropped++
      } else break
    }
    // Once per window at most: a spray from many addresses would otherwise log a line per request.
    if (dropped > 0 && now - this.lastFullLog >= this.windowMs) {
      this.lastFullLog = now
      this.options.log(`auth: tracking ${this.maxClients} clients with wrong tokens; forgetting the oldest`)
    }
  }
}
