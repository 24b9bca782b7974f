import type { Redis } from 'ioredis'
import { DeltaCoalescer } from './delta-coalescer.ts'
import type { LiveEntry, LiveEvent, RunEventLog } from './types.ts'

export interface RedisEventLogOptions {
  redis: Redis
  prefix: string
  log: (line: string) => void
  /** Deltas of one column are merged over this window: a 1,000-token answer is not 1,000 XADDs. Default 50. */
  coalesceMs?: number
  /** `MAXLEN ~` of each run's stream. Default 10,000. */
  maxLen?: number
  /** How long a log stays after its run's end. Default 600 s. */
  ttlSeconds?: number
  /** How long a log lives when its run never ends (its instance died). Default one day. */
  orphanTtlSeconds?: number
  /** How long one blocking read waits before checking that the log still exists. Default 5,000. */
  blockMs?: number
}

/**
 * Each run's events in a Redis Stream (`{prefix}run:{id}:events`, one JSON field per entry), capped and expiring
 * after the run. Writes are fire-and-forget on the shared connection (ioredis keeps their order); while Redis is
 * away entries are dropped with one log line, and the run goes on. Followers block on their own connection.
 */
export class RedisEventLog implements RunEventLog {
  private failing = false
  private readonly followers = new Set<Redis>()
  private readonly coalescer: DeltaCoalescer

  constructor(private readonly options: RedisEventLogOptions) {
    this.coalescer = new DeltaCoalescer((runId, event) => this.entry(runId, event), options.coalesceMs ?? 50)
  }

  private key(runId: string): string {
    return `${this.options.prefix}run:${runId}:events`
  }

  /** The start entry kept apart too: `MAXLEN` trims a long run's stream from its head, start included. */
  private startKey(runId: string): string {
    return `${this.options.prefix}run:${runId}:start`
  }

  append(runId: string, event: LiveEvent): void {
    this.coalescer.append(runId, event)
  }

  /**
   * One entry to the stream, with an expiry on every write: the end's, or an orphan's (a run whose instance died
   * never ends), so no stream outlives its run for long, even when Redis lost the start or the key mid-run.
   */
  private entry(runId: string, event: LiveEvent): void {
    if (!this.ready()) return
    const ttl = event.type === 'end' ? (this.options.ttlSeconds ?? 600) : (this.options.orphanTtlSeconds ?? 86_400)
    const maxLen = String(this.options.maxLen ?? 10_000)
    const batch = this.options.redis
      .multi()
      .xadd(this.key(runId), 'MAXLEN', '~', maxLen, '*', 'e', JSON.stringify(event))
      .expire(this.key(runId), ttl)
    if (event.type === 'start') batch.set(this.startKey(runId), JSON.stringify(event), 'EX', ttl)
    else if (event.type === 'end') batch.expire(this.startKey(runId), ttl)
    batch
      .exec()
      .then(() => {
        if (this.failing) this.options.log('live runs: Redis writes work again')
        this.failing = false
      })
      .catch((err) => this.failed(err))
  }

  /**
   * Connected, or connecting (ioredis queues the command until the connection is up, a bounded wait). While it
   * reconnects after a loss, or is closed, entries are dropped rather than queued behind an outage.
   */
  private ready(): boolean {
    if (WRITABLE.has(this.options.redis.status)) return true
    this.failed(new Error(`connection ${this.options.redis.status}`))
    return false
  }

  /** One line per outage, not one per entry. */
  private failed(err: unknown): void {
    if (this.failing) return
    this.failing = true
    const message = err instanceof Error ? err.message : String(err)
    this.options.log(`live runs: Redis unavailable, live entries dropped until it is back (${message})`)
  }

  async read(runId: string, after?: string): Promise<LiveEntry[] | null> {
    const { redis } = this.options
    const key = this.key(runId)
    const [raw, exists, start] = await Promise.all([
      redis.xrange(key, after ? `(${after}` : '-', '+'),
      redis.exists(key),
      after ? null : redis.get(this.startKey(runId)),
    ])
    if (exists === 0) return null
    const entries = raw.map(toEntry)
    // Trimmed from the head: the start comes back first all the same (id 0-0, before any stream entry).
    if (start && entries[0]?.event.type !== 'start')
      entries.unshift({ id: '0-0', event: JSON.parse(start) as LiveEvent })
    return entries
  }

  async *follow(runId: string, after: string | undefined, signal: AbortSignal): AsyncIterable<LiveEntry[]> {
    const key = this.key(runId)
    const conn = this.options.redis.duplicate()
    conn.on('error', () => {})
    this.followers.add(conn)
    const stop = () => conn.disconnect()
    signal.addEventListener('abort', stop, { once: true })
    let last = after ?? '0'
    try {
      while (!signal.aborted) {
        const reply = (await conn.xread('BLOCK', this.options.blockMs ?? 5000, 'STREAMS', key, last)) as Array<
          [string, Array<[string, string[]]>]
        > | null
        const raw = reply?.[0]?.[1] ?? []
        if (raw.length === 0) {
          if ((await conn.exists(key)) === 0) return
          continue
        }
        const batch = raw.map(toEntry)
        last = batch.at(-1)!.id
        yield batch
        if (batch.some((e) => e.event.type === 'end')) return
      }
    } catch (err) {
      if (!signal.aborted) throw err
    } finally {
      signal.removeEventListener('abort', stop)
      this.followers.delete(conn)
      conn.disconnect()
    }
  }

  async close(): Promise<void> {
    this.coalescer.flushAll()
    for (const conn of this.followers) conn.disconnect()
  }
}

const WRITABLE = new Set(['ready', 'connect', 'connecting'])

function toEntry([id, fields]: [string, string[]]): LiveEntry {
  const at = fields.indexOf('e')
  return { id, event: JSON.parse(fields[at + 1] ?? 'null') as LiveEvent }
}
