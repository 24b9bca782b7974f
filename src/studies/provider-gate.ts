/**
 * When each provider may be sent the next study cell. A 429 with Retry-After (or the engine's default back-off
 * when the header is absent) holds the provider's queue until then; other providers go on. Shared by every
 * study of the process: a rate limit belongs to the provider account, not to one study.
 */
export class ProviderGate implements BackOffGate {
  private readonly until = new Map<string, number>()

  constructor(private readonly now: () => number = Date.now) {}

  hold(provider: string, ms: number): void {
    const at = this.now() + Math.max(0, ms)
    if (at > (this.until.get(provider) ?? 0)) this.until.set(provider, at)
  }

  /** Milliseconds until the provider may be sent a request (0: now). */
  waitMs(provider: string): number {
    const at = this.until.get(provider)
    if (at === undefined) return 0
    const left = at - this.now()
    if (left <= 0) this.until.delete(provider)
    return Math.max(0, left)
  }
}

/**
 * The back-off half of a gate, sync or async: `ProviderGate` keeps it in the process, `RedisProviderGate`
 * (redis-provider-gate.ts) in Redis for every instance of a team.
 */
export interface BackOffGate {
  hold(provider: string, ms: number): void | Promise<void>
  waitMs(provider: string): number | Promise<number>
}

/** The engine's retry reason for an HTTP 429 (providers/errors.ts writes `HTTP 429: ...`). */
export const isRateLimitReason = (reason: string) => /^HTTP 429\b/.test(reason)
