import { DelayedError, type Job, Queue, WaitingError, Worker } from 'bullmq'
import { Redis, type RedisOptions } from 'ioredis'
import type { EngineDeps } from '../engine/compare.ts'
import type { RunRecorder } from '../engine/run-service.ts'
import { splitTarget } from '../providers/catalog.ts'
import { picoToUsd, usdToPico } from '../pricing/money.ts'
import type { CellKey, StoredCell, StudyStore } from '../storage/study-store.ts'
import { isStoreUnavailable } from '../storage/unavailable.ts'
import { runStudyCell } from './cell-run.ts'
import { cellId, cellView } from './cells.ts'
import { RedisProviderGate } from './redis-provider-gate.ts'
import type { CellView, StudyInput } from './types.ts'

/** The BullMQ queue every instance of a team works (under the caller's prefix). */
export const CELL_QUEUE = 'study-cells'
/** A study's Redis keys outlive it by this much after their last change (a paused study re-seeds them). */
const STUDY_KEYS_TTL_MS = 7 * 24 * 3600 * 1000
/** Why a cell in flight was aborted: a cancelled cell is stored as such, a closing one goes back to the queue. */
const CLOSING = 'closing'
const CANCELLED = 'cancelled'
/**
 * A cell of a paused (or budget-stopped) study waits in the queue's delayed set this long, unless a resume
 * promotes it first: it keeps its job id, so a resume never races a job that was just leaving.
 */
const PARK_MS = STUDY_KEYS_TTL_MS
/** How long a cell waits before it is tried again while the database is unavailable. */
const UNAVAILABLE_RETRY_MS = 3000
/** How often a cell waiting for a provider slot asks again. */
const SLOT_POLL_MS = 50

export interface StudyTeamOptions {
  /** A `redis://` URL or ioredis options. */
  redis: string | RedisOptions
  /** Every Redis key, the queue's included, starts with it. Default `juxta:`. */
  prefix?: string
  /** This instance, unique in the team (slot holders and logs). */
  instanceId: string
  log?: (line: string) => void
  /** Cells one instance runs at once, all studies and providers together. Default 16. */
  workerConcurrency?: number
  /**
   * A cell's lock: an instance that dies mid-cell stops renewing it, and another instance's stalled check (every
   * `stalledIntervalMs`) puts the cell back in the queue. Defaults 20 s and 10 s: taken over within 30 s.
   */
  lockDurationMs?: number
  stalledIntervalMs?: number
  /** A provider slot held by an instance that died frees itself after this long. Default 20 s. */
  slotTtlMs?: number
}

export interface StudyTeamDeps {
  engine: EngineDeps & { recorder: RunRecorder }
  store: StudyStore
  passes: (expected: string, answer: string) => boolean
  now: () => number
  /** Something changed in a study, here or on another instance: local listeners redraw. */
  changed: (id: string, cell?: CellView) => void
  /** A study ended on this instance (its last cell was stored here): its summary can be stored. */
  ended: (id: string) => void
}

interface CellJob extends CellKey {
  study_id: string
}

type TeamMessage = { kind: 'cancel'; study_id: string } | { kind: 'changed'; study_id: string; cell?: CellView }

// Records a finished cell once (a cell taken over after its save is not counted twice), adds its known cost to
// the spend, and says whether this call completed the study: only the first caller to see every cell finished.
const FINISH = `
local added = redis.call('SADD', KEYS[1], ARGV[1])
if added == 1 and ARGV[2] ~= '' then redis.call('INCRBY', KEYS[2], ARGV[2]) end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  if redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[4]) then return 1 end
end
return 0
`

// The same for many cells at once (a study starting or resuming: the cells the store already has finished).
const SEED = `
for i = 4, #ARGV, 2 do
  if redis.call('SADD', KEYS[1], ARGV[i]) == 1 and ARGV[i + 1] ~= '' then
    redis.call('INCRBY', KEYS[2], ARGV[i + 1])
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
if ARGV[3] == '1' and redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  if redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[2]) then return 1 end
end
return 0
`

/**
 * Studies shared by the instances of a team: a study's missing cells are jobs of one BullMQ queue (job id = study
 * and cell, so a cell is never queued twice) that every instance's worker takes from. A job runs one cell as a
 * real run and stores it; what a cell may do is read from the study store each time (pause, cancel and budget
 * work from any instance), the provider limits and 429 back-off are global (RedisProviderGate), and a cancel
 * reaches the cells in flight on every instance by pub/sub. Which cell completes a study is decided in Redis.
 */
export class StudyTeam {
  private readonly prefix: string
  private readonly log: (line: string) => void
  private readonly client: Redis
  private readonly workerConnection: Redis
  private readonly subscriber: Redis
  private readonly queue: Queue<CellJob>
  private readonly worker: Worker<CellJob>
  private readonly gate: RedisProviderGate
  private readonly channel: string
  /** Cells in flight here, by study, to abort them. */
  private readonly inFlight = new Map<string, Set<AbortController>>()
  private closing: Promise<void> | null = null
  private readonly lastError = new Map<string, string>()

  constructor(
    private readonly o: StudyTeamOptions,
    private readonly deps: StudyTeamDeps,
  ) {
    this.prefix = o.prefix ?? 'juxta:'
    this.log = o.log ?? (() => {})
    this.channel = `${this.prefix}studies:events`
    this.client = this.connect('commands')
    // BullMQ's blocking worker connection must retry forever rather than fail a command while Redis is away.
    this.workerConnection = this.connect('worker', { maxRetriesPerRequest: null })
    this.subscriber = this.connect('events', { maxRetriesPerRequest: null })
    this.gate = new RedisProviderGate({
      redis: this.client,
      prefix: this.prefix,
      instanceId: o.instanceId,
      slotTtlMs: o.slotTtlMs,
    })
    const bullPrefix = `${this.prefix}bull`
    this.queue = new Queue<CellJob>(CELL_QUEUE, { connection: this.client, prefix: bullPrefix })
    this.queue.on('error', (err) => this.logError('queue', err))
    this.worker = new Worker<CellJob>(CELL_QUEUE, (job, token) => this.process(job, token), {
      connection: this.workerConnection,
      prefix: bullPrefix,
      concurrency: o.workerConcurrency ?? 16,
      lockDuration: o.lockDurationMs ?? 20_000,
      stalledInterval: o.stalledIntervalMs ?? 10_000,
      // A cell whose instances keep dying under it is given up (logged) rather than retried forever.
      maxStalledCount: 5,
      name: o.instanceId,
    })
    this.worker.on('error', (err) => this.logError('worker', err))
    this.worker.on('failed', (job, err) => {
      if (job) this.log(`study ${job.data.study_id}: cell ${cellId(job.data)} given up: ${err.message}`)
    })
    this.subscriber.on('message', (_channel, text) => this.onMessage(text))
    this.subscriber.subscribe(this.channel).catch((err) => this.logError('events', err))
  }

  /** Waits until this instance's worker takes cells (tests; a server just starts). */
  async ready(): Promise<void> {
    await this.worker.waitUntilReady()
    await this.queue.waitUntilReady()
  }

  /**
   * Queues a study's pending cells (creating or resuming it); the cells already finished are recorded in Redis
   * first, so the study completes when the last of the rest is stored, on whichever instance.
   */
  async start(id: string, cells: StoredCell[], options: { resumed?: boolean } = {}): Promise<void> {
    const keys = this.studyKeys(id)
    const finished = cells.filter((c) => c.status === 'ok' || c.status === 'error')
    const chunk = 500
    for (let i = 0; i < finished.length || i === 0; i += chunk) {
      const args = finished.slice(i, i + chunk).flatMap((c) => [cellId(c), c.cost_pico?.toString() ?? ''])
      const last = i + chunk >= finished.length
      const complete = await this.client.eval(
        SEED,
        3,
        keys.finished,
        keys.spent,
        keys.done,
        String(cells.length),
        String(STUDY_KEYS_TTL_MS),
        last ? '1' : '0',
        ...args,
      )
      if (complete === 1) await this.complete(id)
    }
    const pending = cells.filter((c) => c.status === 'pending')
    // Repeat by repeat, as the in-process runner orders them: a study stopped halfway has every target's share.
    pending.sort((a, b) => a.repeat - b.repeat || a.prompt_index - b.prompt_index || a.target_index - b.target_index)
    const jobs = pending.map((c) => ({
      name: 'cell',
      data: {
        study_id: id,
        prompt_index: c.prompt_index,
        target_index: c.target_index,
        repeat: c.repeat,
        target: c.target,
      },
      // Gone once ended, so a resume can queue a cell again under the same id.
      opts: { jobId: `${id}_${cellId(c).replaceAll(':', '-')}`, removeOnComplete: true, removeOnFail: true },
    }))
    for (let i = 0; i < jobs.length; i += chunk) await this.queue.addBulk(jobs.slice(i, i + chunk))
    // Cells parked while it was stopped kept their ids (the adds above left them be): wake them. A cell parking
    // right now reads the state after parking and wakes itself (see park).
    if (options.resumed) {
      for (const job of await this.queue.getDelayed()) {
        if (job.data.study_id === id) await job.promote().catch(() => {})
      }
    }
  }

  /**
   * The study is cancelled in the store: every instance aborts its cells in flight (recorded as cancelled). With
   * Redis away, the cells in flight elsewhere finish (no new one starts: the state is in the store).
   */
  async cancel(id: string): Promise<void> {
    for (const c of this.inFlight.get(id) ?? []) c.abort(CANCELLED)
    await this.publish({ kind: 'cancel', study_id: id }).catch((err) => this.logError('events', err))
  }

  /** Tells every instance's listeners (this one's included) that a study changed; a miss costs one redraw. */
  async changed(id: string, cell?: CellView): Promise<void> {
    await this.publish({ kind: 'changed', study_id: id, cell }).catch((err) => this.logError('events', err))
  }

  /**
   * Stops taking cells; the cells in flight here are aborted and go back to the queue, so the other instances
   * run them (a study shared by a team goes on without this instance: its state is left as it is).
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const set of this.inFlight.values()) for (const c of set) c.abort(CLOSING)
      await this.worker.close().catch((err) => this.logError('worker', err))
      await this.queue.close().catch((err) => this.logError('queue', err))
      for (const conn of [this.subscriber, this.workerConnection, this.client]) {
        await conn.quit().catch(() => conn.disconnect())
      }
    })()
    return this.closing
  }

  private async process(job: Job<CellJob>, token: string | undefined): Promise<void> {
    const { study_id: id, ...key } = job.data
    const controller = new AbortController()
    let set = this.inFlight.get(id)
    if (!set) {
      set = new Set()
      this.inFlight.set(id, set)
    }
    set.add(controller)
    try {
      if (this.closing) return await this.requeue(job, token)
      const record = await this.deps.store.getStudy(id)
      if (!record || record.status === 'cancelled' || record.status === 'done') return
      if (record.status !== 'running') return await this.park(job, token, id)
      const { input } = record
      // Stored already (an instance died after the save, before the queue heard): not run twice, but counted.
      const stored = (await this.deps.store.cells(id, { prompt_index: key.prompt_index })).find(
        (c) => cellId(c) === cellId(key),
      )
      if (stored && stored.status !== 'pending') {
        if (stored.status !== 'cancelled') await this.finish(id, input, key, stored.cost_pico)
        return
      }
      const provider = splitTarget(key.target)?.provider ?? key.target
      const release = await this.acquire(`${id}:${provider}`, provider, input.concurrency, controller.signal)
      if (!release) return this.closing ? await this.requeue(job, token) : undefined
      try {
        // Read again after the wait for a slot: paused, cancelled, or the budget reached meanwhile.
        const now = await this.deps.store.getStudy(id)
        if (!now || now.status === 'cancelled' || now.status === 'done') return
        if (now.status !== 'running') return await this.park(job, token, id)
        const budget = now.input.max_usd
        if (budget !== undefined && (await this.spent(id)) >= usdToPico(budget)) {
          await this.stop(id, 'budget')
          return await this.park(job, token, id)
        }
        const outcome = await runStudyCell({
          studyId: id,
          input,
          key,
          engine: this.deps.engine,
          passes: this.deps.passes,
          signal: controller.signal,
          rateLimited: (ms) => this.gate.hold(provider, ms).catch((err) => this.logError('gate', err)),
          now: this.deps.now,
        })
        // Aborted because this instance is stopping (not by a cancel): another one runs the cell again.
        if (outcome.status === 'cancelled' && controller.signal.reason === CLOSING)
          return await this.requeue(job, token)
        // The run's end first, so a crash never leaves a stored cell whose run still shows as unfinished.
        await this.deps.engine.recorder.flush?.()
        await this.deps.store.saveCell(id, key, outcome)
        await this.changed(id, cellView({ ...key, ...outcome }, input, picoToUsd))
        if (outcome.status !== 'cancelled') await this.finish(id, input, key, outcome.cost_pico)
      } finally {
        await release().catch((err) => this.logError('gate', err))
      }
    } catch (err) {
      if (err instanceof WaitingError || err instanceof DelayedError) throw err
      // The database away for a moment (a restart, a failover): the cell waits and is tried again, rather than
      // stopping the study (which needs the database too, and would leave it running with no job left).
      if (isStoreUnavailable(err)) {
        this.log(`study ${id}: the database is unavailable; cell ${key.target} #${key.prompt_index + 1} waits`)
        await job.moveToDelayed(Date.now() + UNAVAILABLE_RETRY_MS, token)
        throw new DelayedError()
      }
      // Any other storage or Redis error: the cell stays pending and the study stops (interrupted, never done);
      // a resume runs what is missing.
      this.log(`study ${id}: cell ${key.target} #${key.prompt_index + 1} failed: ${String(err)}`)
      await this.stop(id, 'error').catch(() => {})
    } finally {
      set.delete(controller)
      if (set.size === 0 && this.inFlight.get(id) === set) this.inFlight.delete(id)
    }
  }

  /** Counts a stored cell (once) and its cost; the call that counts the study's last cell completes it. */
  private async finish(id: string, input: StudyInput, key: CellKey, cost: bigint | null): Promise<void> {
    const keys = this.studyKeys(id)
    const total = input.prompts.length * input.targets.length * input.repeats
    const complete = await this.client.eval(
      FINISH,
      3,
      keys.finished,
      keys.spent,
      keys.done,
      cellId(key),
      cost?.toString() ?? '',
      String(total),
      String(STUDY_KEYS_TTL_MS),
    )
    if (complete === 1) await this.complete(id)
  }

  /** Waits out the provider's back-off, then for one of the study's slots for it; null when aborted. */
  private async acquire(
    scope: string,
    provider: string,
    limit: number,
    signal: AbortSignal,
  ): Promise<(() => Promise<void>) | null> {
    for (;;) {
      if (signal.aborted) return null
      const wait = await this.gate.waitMs(provider)
      if (wait === 0) {
        const release = await this.gate.tryAcquire(scope, limit)
        if (release) return release
      }
      await sleep(wait > 0 ? Math.min(wait, 1000) : SLOT_POLL_MS, signal)
    }
  }

  /**
   * The study is stopped but may resume: the cell waits in the delayed set under its id. Parked first, then the
   * state read again, so a resume either finds it parked or is seen here (and the cell wakes itself).
   */
  private async park(job: Job<CellJob>, token: string | undefined, id: string): Promise<never> {
    await job.moveToDelayed(Date.now() + PARK_MS, token)
    if ((await this.deps.store.getStudy(id))?.status === 'running') await job.promote()
    throw new DelayedError()
  }

  private async requeue(job: Job<CellJob>, token: string | undefined): Promise<never> {
    await job.moveToWait(token)
    throw new WaitingError()
  }

  private async spent(id: string): Promise<bigint> {
    const value = await this.client.get(this.studyKeys(id).spent)
    return value === null ? 0n : BigInt(value)
  }

  /** A running study stops starting cells (its budget reached, or a cell could not be stored). */
  private async stop(id: string, reason: 'budget' | 'error'): Promise<void> {
    const record = await this.deps.store.getStudy(id)
    if (record?.status !== 'running') return
    await this.deps.store.setState(id, { status: 'interrupted', stop_reason: reason })
    await this.changed(id)
  }

  /** Every cell is stored: done, whatever else the state says (a pause as the last cell ended), unless cancelled. */
  private async complete(id: string): Promise<void> {
    const record = await this.deps.store.getStudy(id)
    if (record && record.status !== 'cancelled' && record.status !== 'done') {
      await this.deps.store.setState(id, { status: 'done', stop_reason: null, finished_at: this.deps.now() })
    }
    await this.changed(id)
    this.deps.ended(id)
  }

  private onMessage(text: string): void {
    let message: TeamMessage
    try {
      message = JSON.parse(text) as TeamMessage
    } catch {
      return
    }
    if (message.kind === 'cancel') {
      for (const c of this.inFlight.get(message.study_id) ?? []) c.abort(CANCELLED)
      this.deps.changed(message.study_id)
    } else if (message.kind === 'changed') this.deps.changed(message.study_id, message.cell)
  }

  private async publish(message: TeamMessage): Promise<void> {
    await this.client.publish(this.channel, JSON.stringify(message))
  }

  private studyKeys(id: string) {
    const base = `${this.prefix}study:${id}`
    return { finished: `${base}:finished`, spent: `${base}:spent`, done: `${base}:done` }
  }

  private connect(role: string, extra: Partial<RedisOptions> = {}): Redis {
    const conn =
      typeof this.o.redis === 'string' ? new Redis(this.o.redis, extra) : new Redis({ ...this.o.redis, ...extra })
    conn.on('error', (err) => this.logError(role, err))
    conn.on('ready', () => this.lastError.delete(role))
    return conn
  }

  /** One line per failure, not one per reconnect attempt. */
  private logError(role: string, err: unknown): void {
    const text = err instanceof Error ? err.message : String(err)
    if (this.lastError.get(role) === text) return
    this.lastError.set(role, text)
    this.log(`studies (${this.o.instanceId}): redis ${role}: ${text}`)
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}
