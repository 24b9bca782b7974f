import { hostname } from 'node:os'
import type { PgPool } from '../storage/postgres/pg-database.ts'

/** One instance's lease on the shared database: a row in `instances` whose heartbeat keeps it alive. */
export interface InstanceRegistryOptions {
  pool: PgPool
  instanceId: string
  /** A lease not renewed for this long is dead (default 20 s). Times are the database's clock, not ours. */
  ttlMs?: number
  /** How often the lease is renewed (default 5 s) and dead owners are looked for (default 10 s). */
  heartbeatMs?: number
  sweepMs?: number
  /** Marks the running runs of these dead instances interrupted (the run store's job); returns how many. */
  interruptRunsOf: (owners: string[]) => Promise<number>
  log: (line: string) => void
  /** Where this instance keeps live state (a fingerprint of its Redis and key prefix), null without Redis. */
  liveState?: string | null
}

/** Another live process registered under this instance's id. */
export class InstanceIdTaken extends Error {}

/** Serializes "register, then count the others": two instances starting together see each other. */
const REGISTER_LOCK = 0x6a757875

/**
 * The instances sharing one database. Each renews its lease every few seconds; any live instance marks the
 * runs of an instance whose lease expired (a crash, a kill -9, a lost machine) as interrupted, with the text
 * they had so far, within ttl + sweep interval (once the sweeping instance has reached the database for a ttl).
 * The lease lives in PostgreSQL, the one thing every instance shares even without Redis, and its times come
 * from the database's clock, so machines' clocks may differ.
 */
export class InstanceRegistry {
  private heartbeat: NodeJS.Timeout | null = null
  private sweeper: NodeJS.Timeout | null = null
  private sweeping: Promise<number> | null = null
  private readonly ttlMs: number
  private lostLogged = false
  /**
   * Since when this instance has reached the database without a failure (performance.now()), or null while it
   * cannot. After an outage every lease looks expired; the owners need a heartbeat to renew theirs before this
   * instance may take their runs for dead, so it sweeps only after reaching the database for a whole ttl.
   */
  private reachableSince: number | null = null

  constructor(private readonly o: InstanceRegistryOptions) {
    this.ttlMs = o.ttlMs ?? 20_000
  }

  /**
   * Registers this instance and returns how many other live instances share the database. Runs left running
   * under this instance's id (a fixed JUXTA_INSTANCE_ID restarted) cannot be running any more: they are
   * interrupted first.
   */
  async register(): Promise<number> {
    // The same id live elsewhere: a restart after kill -9 (its lease no longer moves) goes on; another process
    // started with the same JUXTA_INSTANCE_ID (its lease moves) would take this one's runs for its own.
    const twin = await this.leases(`id = $2 AND (host <> $3 OR pid <> $4)`, [
      this.o.instanceId,
      hostname().slice(0, 200),
      process.pid,
    ])
    if (twin.length > 0 && (await this.stillRenewed(twin)) > 0) {
      throw new InstanceIdTaken(
        `another Juxta process uses JUXTA_INSTANCE_ID=${this.o.instanceId} on this database: ` +
          'give each instance its own (or leave it unset)',
      )
    }
    const client = await this.o.pool.connect()
    let others: number
    try {
      await client.query('BEGIN')
      await client.query('SELECT pg_advisory_xact_lock($1)', [REGISTER_LOCK])
      await client.query(
        `INSERT INTO instances (id, started_at, heartbeat_at, host, pid, live_state)
         VALUES ($1, now(), now(), $2, $3, $4)
         ON CONFLICT (id) DO UPDATE
           SET started_at = now(), heartbeat_at = now(), host = $2, pid = $3, live_state = $4`,
        [this.o.instanceId, hostname().slice(0, 200), process.pid, this.o.liveState ?? null],
      )
      const { rows } = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM instances WHERE id <> $1 AND heartbeat_at >= now() - $2 * interval '1 millisecond'`,
        [this.o.instanceId, this.ttlMs],
      )
      others = Number(rows[0]?.n ?? 0)
      await client.query('COMMIT')
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {})
      throw err
    } finally {
      client.release()
    }
    this.reachableSince = performance.now()
    const own = await this.o.interruptRunsOf([this.o.instanceId])
    if (own > 0) this.o.log(`instances: marked ${own} run(s) of this instance's previous start as interrupted`)
    return others
  }

  /**
   * How many other instances hold a live lease that is still renewed: a process killed moments ago holds one
   * for up to the ttl, but it no longer moves. Waits one heartbeat (and a second) when there is any to watch.
   */
  async renewedOthers(): Promise<number> {
    const others = await this.leases('id <> $2', [this.o.instanceId])
    return others.length === 0 ? 0 : this.stillRenewed(others)
  }

  /** Live leases matching `where` (parameters from $2; $1 is the ttl), with their last heartbeat. */
  private async leases(where: string, params: unknown[]): Promise<Array<{ id: string; beat: string }>> {
    const { rows } = await this.o.pool.query<{ id: string; beat: string }>(
      `SELECT id, heartbeat_at::text AS beat FROM instances
       WHERE heartbeat_at >= now() - $1 * interval '1 millisecond' AND ${where}`,
      [this.ttlMs, ...params],
    )
    return rows
  }

  /** How many of these leases are renewed within the next heartbeat. */
  private async stillRenewed(leases: Array<{ id: string; beat: string }>): Promise<number> {
    await new Promise((r) => setTimeout(r, (this.o.heartbeatMs ?? 5000) + 1000))
    const { rows } = await this.o.pool.query<{ id: string; beat: string }>(
      'SELECT id, heartbeat_at::text AS beat FROM instances WHERE id = ANY($1::text[])',
      [leases.map((l) => l.id)],
    )
    const before = new Map(leases.map((l) => [l.id, l.beat]))
    return rows.filter((r) => before.get(r.id) !== r.beat).length
  }

  /**
   * How many other live instances keep their live state elsewhere (another Redis or prefix, or none): runs,
   * stops, study cells and settings would then not reach each other.
   */
  async unlikeOthers(): Promise<number> {
    const { rows } = await this.o.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM instances WHERE id <> $1 AND heartbeat_at >= now() - $2 * interval '1 millisecond'
         AND live_state IS DISTINCT FROM $3`,
      [this.o.instanceId, this.ttlMs, this.o.liveState ?? null],
    )
    return Number(rows[0]?.n ?? 0)
  }

  /** Starts renewing the lease and sweeping dead instances' runs. */
  start(): void {
    this.heartbeat ??= setInterval(() => void this.renew(), this.o.heartbeatMs ?? 5000)
    this.heartbeat.unref()
    this.sweeper ??= setInterval(() => void this.sweep(), this.o.sweepMs ?? 10_000)
    this.sweeper.unref()
  }

  /** Ids of the instances whose lease is live now (this one included once registered). */
  async live(): Promise<string[]> {
    const { rows } = await this.o.pool.query<{ id: string }>(
      `SELECT id FROM instances WHERE heartbeat_at >= now() - $1 * interval '1 millisecond' ORDER BY id`,
      [this.ttlMs],
    )
    return rows.map((r) => r.id)
  }

  /**
   * Marks the running runs of every owner without a live lease as interrupted; returns how many runs (0 without
   * sweeping within a ttl of this instance's start or of its last failure to reach the database). Idempotent,
   * so instances sweeping at once do no harm; owners are found from the runs, so a sweeper that dies halfway
   * leaves nothing behind for good.
   */
  sweep(): Promise<number> {
    const since = this.reachableSince
    if (since === null || performance.now() - since < this.ttlMs) return Promise.resolve(0)
    this.sweeping ??= (async () => {
      try {
        const { rows } = await this.o.pool.query<{ owner: string }>(
          `SELECT DISTINCT owner FROM runs WHERE status = 'running' AND owner IS NOT NULL AND owner NOT IN (
             SELECT id FROM instances WHERE heartbeat_at >= now() - $1 * interval '1 millisecond')`,
          [this.ttlMs],
        )
        const dead = rows.map((r) => r.owner)
        if (dead.length === 0) return 0
        const n = await this.o.interruptRunsOf(dead)
        if (n > 0) this.o.log(`instances: marked ${n} run(s) of ${dead.join(', ')} (no heartbeat) as interrupted`)
        // Dead leases go after their runs; a lease younger than a day stays visible for diagnosis.
        await this.o.pool.query(`DELETE FROM instances WHERE heartbeat_at < now() - interval '1 day'`)
        return n
      } catch (err) {
        this.reachableSince = null
        this.o.log(`instances: sweep failed (${(err as Error).message}); trying again shortly`)
        return 0
      } finally {
        this.sweeping = null
      }
    })()
    return this.sweeping
  }

  /** Stops renewing and gives the lease up, so the others take over at once rather than after the ttl. */
  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat)
    if (this.sweeper) clearInterval(this.sweeper)
    this.heartbeat = this.sweeper = null
    await this.sweeping?.catch(() => {})
    await this.o.pool.query('DELETE FROM instances WHERE id = $1', [this.o.instanceId]).catch(() => {})
  }

  private async renew(): Promise<void> {
    try {
      const { rowCount } = await this.o.pool.query('UPDATE instances SET heartbeat_at = now() WHERE id = $1', [
        this.o.instanceId,
      ])
      // Swept after a long pause (the database away longer than the ttl): register again to be live.
      if (rowCount === 0) {
        await this.o.pool.query(
          `INSERT INTO instances (id, started_at, heartbeat_at, host, pid, live_state)
           VALUES ($1, now(), now(), $2, $3, $4) ON CONFLICT (id) DO NOTHING`,
          [this.o.instanceId, hostname().slice(0, 200), process.pid, this.o.liveState ?? null],
        )
      }
      if (this.lostLogged) this.o.log('instances: lease renewed; the database is back')
      this.lostLogged = false
      this.reachableSince ??= performance.now()
    } catch (err) {
      this.reachableSince = null
      if (!this.lostLogged) this.o.log(`instances: cannot renew the lease (${(err as Error).message})`)
      this.lostLogged = true
    }
  }
}
