import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { SettingsBus, SettingsListener, SettingsTopic } from './settings-bus.ts'

export interface RedisSettingsBusOptions {
  /** The publishing connection (the caller's, with its own `error` listener); the subscriber is a duplicate. */
  redis: Redis
  /** Channel prefix (default `juxta:`): the channel is `<prefix>settings`. */
  prefix?: string
  /** This instance's id, so it skips its own messages. Default: a random UUID. */
  instanceId?: string
  /** A publish not acknowledged within this is given up (default 1 s): a settings change never waits on Redis. */
  publishTimeoutMs?: number
  log: (line: string) => void
}

const TOPICS: ReadonlySet<string> = new Set(['keys', 'providers'])

/**
 * Settings changes over Redis pub/sub: one message per change on `<prefix>settings`, `{ from, topics }`.
 * Pub/sub delivers only to connected subscribers, so after its connection comes back an instance reloads
 * everything (topic `all`): what it missed while away is then read from the database, not lost.
 */
export class RedisSettingsBus implements SettingsBus {
  readonly instanceId: string
  private readonly channel: string
  private readonly listeners: SettingsListener[] = []
  private readonly subscriber: Redis
  private everReady = false
  private lastError = 0
  private retry: NodeJS.Timeout | undefined

  private constructor(private readonly options: RedisSettingsBusOptions) {
    this.instanceId = options.instanceId ?? randomUUID()
    this.channel = `${options.prefix ?? 'juxta:'}settings`
    this.subscriber = options.redis.duplicate()
    this.subscriber.on('error', (err: Error) => {
      if (Date.now() - this.lastError < 5000) return
      this.lastError = Date.now()
      options.log(`settings: Redis subscriber connection lost (${err.message}); reconnecting`)
    })
    this.subscriber.on('message', (channel: string, text: string) => {
      if (channel === this.channel) this.received(text)
    })
    this.subscriber.on('ready', () => {
      // ioredis re-subscribes on its own after a reconnect; changes published meanwhile were missed.
      if (this.everReady) this.notify('all')
      this.everReady = true
    })
  }

  /** Subscribes before resolving: a change published after this by another instance reaches this one. */
  static async open(options: RedisSettingsBusOptions): Promise<RedisSettingsBus> {
    const bus = new RedisSettingsBus(options)
    await bus.subscriber.subscribe(bus.channel)
    return bus
  }

  /**
   * Rejects when Redis does not take the message in time; the change is already written, and instances that
   * missed it reload everything when their own connection comes back.
   */
  async publish(topics: ReadonlyArray<Exclude<SettingsTopic, 'all'>>): Promise<void> {
    const { status } = this.options.redis
    if (status === 'reconnecting' || status === 'close' || status === 'end') {
      throw new Error(`Redis connection ${status}`)
    }
    const timeoutMs = this.options.publishTimeoutMs ?? 1000
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        this.options.redis.publish(this.channel, JSON.stringify({ from: this.instanceId, topics })),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs)
        }),
      ])
    } finally {
      clearTimeout(timer)
    }
  }

  subscribe(listener: SettingsListener): void {
    this.listeners.push(listener)
  }

  async close(): Promise<void> {
    clearTimeout(this.retry)
    this.subscriber.disconnect()
  }

  private received(text: string): void {
    let message: { from?: unknown; topics?: unknown }
    try {
      message = JSON.parse(text)
    } catch {
      return
    }
    if (message.from === this.instanceId || !Array.isArray(message.topics)) return
    const topics = message.topics.filter((t): t is SettingsTopic => typeof t === 'string' && TOPICS.has(t))
    if (topics.length > 0) this.notify(topics.length === 1 ? topics[0]! : 'all')
  }

  /** A listener that fails (the database away while reloading) is tried again, with everything, in 5 s. */
  private notify(topic: SettingsTopic): void {
    for (const listener of this.listeners) {
      Promise.resolve()
        .then(() => listener(topic))
        .catch((err: Error) => {
          this.options.log(`settings: could not apply a change from another instance (${err.message}); retrying`)
          clearTimeout(this.retry)
          this.retry = setTimeout(() => this.notify('all'), 5000)
          this.retry.unref()
        })
    }
  }
}
