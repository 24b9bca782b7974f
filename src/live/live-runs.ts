import type { RunRecorder } from '../engine/run-service.ts'
import { MemoryCommandBus, RedisCommandBus } from './command-bus.ts'
import { MemoryEventLog } from './memory-event-log.ts'
import { RedisEventLog } from './redis-event-log.ts'
import type { CommandBus, LiveOptions, RunCommand, RunEventLog, RunStartEvent } from './types.ts'

export function createRunEventLog(options: LiveOptions): RunEventLog {
  return options.redis
    ? new RedisEventLog({ redis: options.redis, prefix: options.prefix, log: options.log })
    : new MemoryEventLog()
}

export function createCommandBus(options: LiveOptions): CommandBus {
  return options.redis
    ? new RedisCommandBus({
        redis: options.redis,
        prefix: options.prefix,
        instanceId: options.instanceId,
        log: options.log,
      })
    : new MemoryCommandBus(options.instanceId)
}

/** Where a command went: handled here, sent to the owner, or nobody runs the run any more. */
export type CommandOutcome = 'here' | 'sent' | 'nobody'

/**
 * Live runs of every instance: the event log a watcher attaches to, and the commands that reach a run's owner.
 * Runs reach the log through `recorder` (every run this instance executes, retries included).
 */
export class LiveRuns {
  readonly instanceId: string
  readonly events: RunEventLog
  readonly commands: CommandBus
  /** How long a page waits for a retry it asked of another instance to start (the owner may not hold the run). */
  retryWaitMs = 10_000
  private handler: ((command: RunCommand) => boolean) | null = null

  constructor(
    options: LiveOptions,
    parts: { events?: RunEventLog; commands?: CommandBus } = {},
    private readonly labelOf: (target: string) => string = (t) => t,
  ) {
    this.instanceId = options.instanceId
    this.events = parts.events ?? createRunEventLog(options)
    this.commands = parts.commands ?? createCommandBus(options)
    this.commands.listen((command) => {
      this.handler?.(command)
    })
  }

  /** The owner's side: what to do with a command for one of its runs (true when it knew the run). */
  handle(handler: (command: RunCommand) => boolean): void {
    this.handler = handler
  }

  /** The log's start entry of a run: its owner, targets and labels. Null when the run has no live log. */
  async startOf(runId: string): Promise<RunStartEvent | null> {
    const entries = await this.events.read(runId).catch(() => null)
    const first = entries?.[0]?.event
    return first?.type === 'start' ? first : null
  }

  /** Sends a command to the run's owner (handled at once when that is this instance). */
  async command(command: RunCommand): Promise<CommandOutcome> {
    const start = await this.startOf(command.run_id)
    if (!start) return 'nobody'
    if (start.owner === this.instanceId) return this.handler?.(command) ? 'here' : 'nobody'
    return (await this.commands.send(start.owner, command)) ? 'sent' : 'nobody'
  }

  /** Records into `base` and into the live log; the log never fails or slows the run (it only queues). */
  recorder(base: RunRecorder): RunRecorder {
    const log = this.events
    return {
      started: (request, meta) => {
        base.started(request, meta)
        const targets = request.targets.map((t) => t.target)
        log.append(request.run_id, {
          type: 'start',
          run_id: request.run_id,
          owner: this.instanceId,
          created_at: request.created_at.toISOString(),
          targets,
          labels: targets.map((t) => this.labelOf(t)),
          prompt: meta.prompt,
          parent_id: meta.parent_id,
        })
      },
      event: (runId, event) => {
        base.event(runId, event)
        log.append(runId, event)
      },
      finished: (runId, results) => {
        base.finished(runId, results)
        log.append(runId, { type: 'end' })
      },
      flush: base.flush ? () => base.flush!() : undefined,
      abandonRetries: base.abandonRetries ? () => base.abandonRetries!() : undefined,
      holdNewRuns: base.holdNewRuns ? () => base.holdNewRuns!() : undefined,
    }
  }

  async close(): Promise<void> {
    await this.commands.close()
    await this.events.close()
  }
}
