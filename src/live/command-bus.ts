import type { Redis } from 'ioredis'
import { z } from 'zod'
import type { CommandBus, RunCommand } from './types.ts'

const CommandSchema = z.object({
  kind: z.enum(['stop', 'retry']),
  run_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  index: z.number().int().min(0).max(1000).optional(),
})

/** One process: a command reaches this instance's handler only when it is addressed to it. */
export class MemoryCommandBus implements CommandBus {
  private handler: ((command: RunCommand) => void) | null = null

  constructor(private readonly instanceId: string) {}

  async send(owner: string, command: RunCommand): Promise<boolean> {
    if (owner !== this.instanceId || !this.handler) return false
    this.handler(command)
    return true
  }

  listen(handler: (command: RunCommand) => void): void {
    this.handler = handler
  }

  async close(): Promise<void> {
    this.handler = null
  }
}

/**
 * Redis pub/sub: `PUBLISH {prefix}commands:{owner}`; each instance subscribes to its own channel on a connection
 * of its own (a subscribed connection can do nothing else).
 */
export class RedisCommandBus implements CommandBus {
  private handler: ((command: RunCommand) => void) | null = null
  private subscriber: Redis | null = null

  constructor(
    private readonly options: { redis: Redis; prefix: string; instanceId: string; log: (line: string) => void },
  ) {}

  private channel(instanceId: string): string {
    return `${this.options.prefix}commands:${instanceId}`
  }

  async send(owner: string, command: RunCommand): Promise<boolean> {
    try {
      return (await this.options.redis.publish(this.channel(owner), JSON.stringify(command))) > 0
    } catch (err) {
      this.options.log(`live runs: command not sent (${err instanceof Error ? err.message : String(err)})`)
      return false
    }
  }

  listen(handler: (command: RunCommand) => void): void {
    this.handler = handler
    if (this.subscriber) return
    const sub = this.options.redis.duplicate()
    this.subscriber = sub
    // ioredis reconnects and subscribes again on its own; an error must not crash the process, and an outage is
    // one line, not one per reconnect attempt.
    let down = false
    sub.on('error', (err: Error) => {
      if (!down) this.options.log(`live runs: command channel down, reconnecting (${err.message})`)
      down = true
    })
    sub.on('ready', () => {
      if (down) this.options.log('live runs: command channel back')
      down = false
    })
    sub.on('message', (_channel: string, message: string) => {
      let parsed: ReturnType<typeof CommandSchema.safeParse>
      try {
        parsed = CommandSchema.safeParse(JSON.parse(message))
      } catch {
        return
      }
      if (parsed.success) this.handler?.(parsed.data)
    })
    sub.subscribe(this.channel(this.options.instanceId)).catch((err: Error) => {
      this.options.log(`live runs: cannot subscribe to commands (${err.message})`)
    })
  }

  /** Resolves once this instance receives commands (tests wait for it). */
  async ready(): Promise<void> {
    const sub = this.subscriber
    if (!sub) return
    const channel = this.channel(this.options.instanceId)
    for (let i = 0; i < 100; i++) {
      const counts = (await this.options.redis.pubsub('NUMSUB', channel)) as Array<string | number>
      if (Number(counts[1]) > 0) return
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  async close(): Promise<void> {
    this.handler = null
    this.subscriber?.disconnect()
    this.subscriber = null
  }
}
