import type { RunEvent } from '../engine/types.ts'

/** The first entry of a run's log: who runs it and what a watcher needs to draw its columns. */
export interface RunStartEvent {
  type: 'start'
  run_id: string
  /** The instance that runs it: where Stop and "retry this column" are sent. */
  owner: string
  created_at: string
  targets: string[]
  /** The columns' headings (model labels), in target order. */
  labels: string[]
  prompt: string
  parent_id: string | null
}

/** What a run's log holds: its start, the engine's events (deltas coalesced), and its end. */
export type LiveEvent = RunStartEvent | RunEvent | { type: 'end' }

/** One log entry; its id is the SSE id a watcher reconnects with. */
export interface LiveEntry {
  id: string
  event: LiveEvent
}

/**
 * An append-only log of each run's events. Appending never throws, never waits and never fails a run: a log
 * that cannot write drops the entry and logs one line.
 */
export interface RunEventLog {
  append(runId: string, event: LiveEvent): void
  /** The entries after `after` (all without it); null when the run has no log (never had one, or expired). */
  read(runId: string, after?: string): Promise<LiveEntry[] | null>
  /**
   * Entries after `after` as they arrive, in batches, until the run's `end` entry, `signal` aborts or the log
   * is gone. `end` is yielded too.
   */
  follow(runId: string, after: string | undefined, signal: AbortSignal): AsyncIterable<LiveEntry[]>
  close(): Promise<void>
}

/** A command for the instance that runs a run. */
export interface RunCommand {
  kind: 'stop' | 'retry'
  run_id: string
  index?: number
}

/** Delivers commands to the instance that owns a run. */
export interface CommandBus {
  /** True when some instance took it (Redis: a subscriber of the owner's channel). */
  send(owner: string, command: RunCommand): Promise<boolean>
  /** Commands addressed to this instance go to `handler` (the last one set). */
  listen(handler: (command: RunCommand) => void): void
  close(): Promise<void>
}

export interface LiveOptions {
  /** Shared state across instances; without it, everything stays in this process. */
  redis?: import('ioredis').Redis
  /** Prefix of every Redis key and channel (e.g. `juxta:`). */
  prefix: string
  instanceId: string
  log: (line: string) => void
}

/** An SSE id as the logs write them: `n` (in memory) or `ms-seq` (Redis). */
export const ENTRY_ID = /^\d{1,20}(-\d{1,20})?$/
