import { afterEach, describe, expect, it } from 'vitest'
import type pg from 'pg'
import { PgRunStore } from '../../src/storage/postgres/pg-run-store.ts'
import { InstanceRegistry } from '../../src/team/instance-registry.ts'
import { usePostgres } from '../storage/postgres/pg-fixtures.ts'

// The lease table on a real PostgreSQL, with short times: 1 s ttl, renewed every 100 ms, swept every 200 ms.
const pgServer = usePostgres()
const TTL = 1000
const open: Array<{ close(): Promise<void> } | pg.Pool> = []

afterEach(async () => {
  for (const o of open.splice(0).reverse()) await ('end' in o ? o.end() : o.close())
})

async function fresh() {
  const { pool } = await pgServer.fresh()
  open.push(pool)
  return pool
}

function registry(
  pool: pg.Pool,
  instanceId: string,
  logs: string[] = [],
  times: { heartbeatMs?: number; sweepMs?: number } = {},
): InstanceRegistry {
  const store = new PgRunStore(pool, { instanceId })
  const r = new InstanceRegistry({
    pool,
    instanceId,
    ttlMs: TTL,
    heartbeatMs: times.heartbeatMs ?? 100,
    sweepMs: times.sweepMs ?? 200,
    interruptRunsOf: (owners) => store.interruptRunsOf(owners),
    log: (line) => logs.push(line),
  })
  open.push(r)
  return r
}

/** A run written by `owner`'s store (null: no owner, as an imported run), with some text received so far. */
async function runningRun(pool: pg.Pool, owner: string | null, id: string, text = 'so far'): Promise<void> {
  const store = new PgRunStore(pool, owner ? { instanceId: owner } : {})
  await store.startRun({
    run_id: id,
    created_at: new Date(),
    prompt: 'p',
    system: null,
    params: {},
    parent_id: null,
    targets: [{ target: 'p/m', label: 'M' }],
  })
  await store.appendPartials([{ run_id: id, index: 0, text, reasoning: '', attempts: null }])
}

async function statusOf(pool: pg.Pool, id: string) {
  const { rows } = await pool.query<{ status: string; result: string; text: string }>(
    'SELECT r.status, t.status AS result, t.text FROM runs r JOIN results t ON t.run_id = r.id WHERE r.id = $1',
    [id],
  )
  return rows[0]
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('InstanceRegistry on PostgreSQL', () => {
  it('renews its lease while started; a lease not renewed lapses after the ttl', async () => {
    const pool = await fresh()
    const renewed = registry(pool, 'renewed')
    const idle = registry(pool, 'idle')
    expect(await renewed.register()).toBe(0)
    expect(await idle.register()).toBe(1)
    expect(await renewed.live()).toEqual(['idle', 'renewed'])
    renewed.start()
    await sleep(TTL * 2.5)
    // Only the one that renews is still live; its heartbeat is recent.
    expect(await renewed.live()).toEqual(['renewed'])
    const { rows } = await pool.query<{ age: number }>(
      `SELECT extract(epoch FROM now() - heartbeat_at) * 1000 AS age FROM instances WHERE id = 'renewed'`,
    )
    expect(Number(rows[0]!.age)).toBeLessThan(TTL)
    // A clean close gives the lease up at once.
    await renewed.close()
    expect(await renewed.live()).toEqual([])
  })

  it("sweeps only a dead owner's running runs, keeping their text", async () => {
    const pool = await fresh()
    const logs: string[] = []
    const dead = registry(pool, 'dead')
    // Every started registry sweeps: whichever gets there first logs it.
    const alive = registry(pool, 'alive', logs)
    const sweeper = registry(pool, 'sweeper', logs)
    await dead.register()
    await alive.register()
    await sweeper.register()
    alive.start()
    await runningRun(pool, 'dead', 'dead-run', 'words of the dead')
    await runningRun(pool, 'alive', 'alive-run')
    await runningRun(pool, null, 'no-owner-run')
    await runningRun(pool, 'dead', 'dead-finished')
    await new PgRunStore(pool).finishRun('dead-finished', new Date())
    // Not yet: the dead lease is still within its ttl.
    expect(await sweeper.sweep()).toBe(0)
    expect((await statusOf(pool, 'dead-run'))!.status).toBe('running')
    sweeper.start()
    await expect.poll(async () => (await statusOf(pool, 'dead-run'))!.status, { timeout: 5000 }).toBe('interrupted')
    expect(await statusOf(pool, 'dead-run')).toEqual({
      status: 'interrupted',
      result: 'interrupted',
      text: 'words of the dead',
    })
    expect(await statusOf(pool, 'alive-run')).toMatchObject({ status: 'running', result: 'running' })
    expect(await statusOf(pool, 'no-owner-run')).toMatchObject({ status: 'running', result: 'running' })
    expect(await statusOf(pool, 'dead-finished')).toMatchObject({ status: 'done', text: 'so far' })
    expect(logs).toContain('instances: marked 1 run(s) of dead (no heartbeat) as interrupted')
    // Sweeping again finds nothing more.
    expect(await sweeper.sweep()).toBe(0)
    // A lost heartbeat's lease row stays (for a day) for diagnosis; the live ones are the two renewing.
    expect(await sweeper.live()).toEqual(['alive', 'sweeper'])
  })

  it('a fixed instance id restarted interrupts its own earlier runs, and only those', async () => {
    const pool = await fresh()
    const logs: string[] = []
    const other = registry(pool, 'other')
    await other.register()
    other.start()
    const first = registry(pool, 'fixed')
    await first.register()
    await runningRun(pool, 'fixed', 'before-restart', 'half an answer')
    await runningRun(pool, 'other', 'other-run')
    // The process dies without closing (no lease given up) and starts again at once with the same id.
    const again = registry(pool, 'fixed', logs)
    expect(await again.register()).toBe(1)
    expect(await statusOf(pool, 'before-restart')).toEqual({
      status: 'interrupted',
      result: 'interrupted',
      text: 'half an answer',
    })
    expect(await statusOf(pool, 'other-run')).toMatchObject({ status: 'running' })
    expect(logs).toContain("instances: marked 1 run(s) of this instance's previous start as interrupted")
    // Its new runs are its own and stay running while it lives.
    again.start()
    await runningRun(pool, 'fixed', 'after-restart')
    await sleep(TTL * 2)
    expect(await statusOf(pool, 'after-restart')).toMatchObject({ status: 'running' })
    expect(await again.live()).toEqual(['fixed', 'other'])
  })

  it('registers again after being swept while the database was away', async () => {
    const pool = await fresh()
    const logs: string[] = []
    const r = registry(pool, 'comeback', logs)
    await r.register()
    r.start()
    await pool.query(`DELETE FROM instances WHERE id = 'comeback'`)
    await expect.poll(async () => await r.live(), { timeout: 3000 }).toEqual(['comeback'])
  })

  // Last: it restarts the server under the other tests' feet otherwise.
  it('after the database was away longer than the ttl, a live owner keeps its runs (it renews first)', async () => {
    const pool = await fresh()
    const logs: string[] = []
    // The owner renews slowly and the sweeper sweeps fast: without a grace, the sweeper would win the race.
    const owner = registry(pool, 'slow-renewer', logs, { heartbeatMs: 400 })
    const sweeper = registry(pool, 'fast-sweeper', logs, { sweepMs: 50 })
    await owner.register()
    await sweeper.register()
    owner.start()
    sweeper.start()
    await runningRun(pool, 'slow-renewer', 'through-outage', 'still going')
    await pgServer.server().kill()
    await sleep(TTL * 2)
    await pgServer.server().start()
    await sleep(TTL * 2.5)
    expect(await statusOf(pool, 'through-outage')).toMatchObject({ status: 'running', text: 'still going' })
    expect(await sweeper.live()).toEqual(['fast-sweeper', 'slow-renewer'])
    // An owner that really stopped is still swept once the grace is over.
    await owner.close()
    await pool.query(`INSERT INTO instances (id, started_at, heartbeat_at, host, pid)
      VALUES ('slow-renewer', now(), now() - interval '1 hour', 'h', 1)`)
    await expect
      .poll(async () => (await statusOf(pool, 'through-outage'))!.status, { timeout: 5000 })
      .toBe('interrupted')
  })
})

describe('leases of processes that died a moment ago', () => {
  it('counts only the instances that still renew their lease', async () => {
    const pool = await fresh()
    const alive = registry(pool, 'alive')
    await alive.register()
    alive.start()
    // A lease written a moment ago by a process that is gone: live for the ttl, but it no longer moves.
    await pool.query(
      `INSERT INTO instances (id, started_at, heartbeat_at, host, pid) VALUES ('crashed', now(), now(), 'h', 1)`,
    )
    const starting = registry(pool, 'starting')
    expect(await starting.register()).toBe(2)
    expect(await starting.renewedOthers()).toBe(1)
  })

  it('refuses a second process under a live instance id, and takes the id over from a dead one', async () => {
    const pool = await fresh()
    const beat = setInterval(() => {
      void pool.query(`UPDATE instances SET heartbeat_at = now() WHERE id = 'twin'`).catch(() => {})
    }, 100)
    try {
      await pool.query(
        `INSERT INTO instances (id, started_at, heartbeat_at, host, pid)
         VALUES ('twin', now(), now(), 'other-host', 1)`,
      )
      await expect(registry(pool, 'twin').register()).rejects.toThrow(
        'another Juxta process uses JUXTA_INSTANCE_ID=twin on this database',
      )
    } finally {
      clearInterval(beat)
    }
    // An update sent by the last tick may still be on its way.
    await new Promise((r) => setTimeout(r, 300))
    // No longer renewed (that process was killed): the restarted one takes the id over.
    expect(await registry(pool, 'twin').register()).toBe(0)
    const { rows } = await pool.query<{ pid: number }>(`SELECT pid FROM instances WHERE id = 'twin'`)
    expect(rows[0]?.pid).toBe(process.pid)
  })
})
