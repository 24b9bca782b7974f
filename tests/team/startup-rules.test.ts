import { afterAll, beforeAll, describe, type ExpectStatic, expect, it } from 'vitest'
import { closedLoopbackPort } from '../helpers/ports.ts'
import { stopChild } from '../helpers/server-process.ts'
import { outcome, query, SECRET, spawnServer, startTeamRig, type TeamRig } from './team-rig.ts'

// What a team instance does at start: refuses what cannot work with one clear line, starts beside the others.
let rig: TeamRig

beforeAll(async () => {
  rig = await startTeamRig(['any'])
}, 60_000)

afterAll(async () => {
  await rig?.stop()
})

/** A start that must fail: exit 1 and one line, no stack trace. */
async function refused(expect: ExpectStatic, env: Record<string, string>): Promise<string> {
  const { code, output } = await outcome(spawnServer(rig, env))
  const line = output.trim()
  expect(code).toBe(1)
  expect(line.split('\n')).toHaveLength(1)
  expect(line).not.toMatch(/\n\s+at |Error:|node:internal/)
  return line
}

// The failing starts run side by side: each is a process start of a few seconds on a loaded machine.
describe('starting team instances', () => {
  it('refuses a second instance on the same database without REDIS_URL', async () => {
    const databaseUrl = await rig.pg.createDatabase()
    const first = await rig.start({ databaseUrl, id: 'alone-1', redis: false })
    const line = await refused(expect, {
      DATABASE_URL: databaseUrl,
      JUXTA_SECRET: SECRET,
      JUXTA_INSTANCE_ID: 'alone-2',
    })
    expect(line).toMatch(/^Refusing to start: 1 other Juxta instance\(s\) use .* and REDIS_URL is not set\. /)
    expect(line).toContain('set REDIS_URL')
    // With Redis, but beside an instance that has none (or another prefix): refused too, or they would not
    // reach each other.
    const unlike = await refused(expect, {
      DATABASE_URL: databaseUrl,
      REDIS_URL: rig.redis.url,
      JUXTA_SECRET: SECRET,
      JUXTA_INSTANCE_ID: 'alone-3',
    })
    expect(unlike).toMatch(
      /^Refusing to start: 1 other Juxta instance\(s\) on .* use another Redis or JUXTA_REDIS_PREFIX/,
    )
    // The refused start left no lease behind, and the first instance still serves.
    expect((await fetch(`${first.url}/api/runs`)).status).toBe(200)
    const leases = await query<{ id: string }>(databaseUrl, 'SELECT id FROM instances ORDER BY id')
    expect(leases.map((l) => l.id)).toEqual(['alone-1'])
    await stopChild(first.child)
  }, 40_000)

  it('starts two instances at the same moment on a new database: the migrations run once', async () => {
    const databaseUrl = await rig.pg.createDatabase()
    const [x, y] = await Promise.all([
      rig.start({ databaseUrl, id: 'twin-x' }),
      rig.start({ databaseUrl, id: 'twin-y' }),
    ])
    expect((await fetch(`${x.url}/api/runs`)).status).toBe(200)
    expect((await fetch(`${y.url}/api/runs`)).status).toBe(200)
    const versions = await query<{ version: number; n: string }>(
      databaseUrl,
      'SELECT version, count(*) AS n FROM schema_version GROUP BY version ORDER BY version',
    )
    expect(versions.length).toBeGreaterThan(0)
    expect(versions.every((v, i) => v.version === i + 1 && v.n === '1')).toBe(true)
    const leases = await query<{ id: string }>(databaseUrl, 'SELECT id FROM instances ORDER BY id')
    expect(leases.map((l) => l.id)).toEqual(['twin-x', 'twin-y'])
    await Promise.all([stopChild(x.child), stopChild(y.child)])
    // A clean stop gives the lease up.
    expect(await query(databaseUrl, 'SELECT id FROM instances')).toEqual([])
  }, 40_000)

  it.concurrent('a DATABASE_URL that is not a PostgreSQL URL: one line, exit 1', async ({ expect }) => {
    const line = await refused(expect, { DATABASE_URL: 'mysql://juxta:hunter2secret@db/juxta', JUXTA_SECRET: SECRET })
    expect(line).toContain('DATABASE_URL must start with postgres:// or postgresql://')
    expect(line).not.toContain('hunter2secret')
  }, 20_000)

  it.concurrent('an unreachable database: one line naming the server, never its password, exit 1', async ({
    expect,
  }) => {
    const port = await closedLoopbackPort()
    const line = await refused(expect, {
      DATABASE_URL: `postgres://juxta:hunter2secret@127.0.0.1:${port}/juxta`,
      JUXTA_SECRET: SECRET,
    })
    expect(line).toContain(`127.0.0.1:${port}`)
    expect(line).not.toContain('hunter2secret')
  }, 30_000)

  it.concurrent('a database server without that database: one line, exit 1', async ({ expect }) => {
    const line = await refused(expect, {
      DATABASE_URL: `postgres://postgres:hunter2secret@127.0.0.1:${rig.pg.port}/no_such_db`,
      JUXTA_SECRET: SECRET,
    })
    expect(line).toContain('no_such_db')
    expect(line).not.toContain('hunter2secret')
  }, 30_000)

  it.concurrent('an unreachable Redis: one line naming it, never its password, exit 1', async ({ expect }) => {
    const databaseUrl = await rig.pg.createDatabase()
    const port = await closedLoopbackPort()
    const line = await refused(expect, {
      DATABASE_URL: databaseUrl,
      REDIS_URL: `redis://:hunter2secret@127.0.0.1:${port}`,
      JUXTA_SECRET: SECRET,
    })
    expect(line).toContain(`cannot reach Redis at redis://127.0.0.1:${port}`)
    expect(line).not.toContain('hunter2secret')
    // Nothing was left registered by the failed start.
    expect(await query(databaseUrl, 'SELECT id FROM instances')).toEqual([])
  }, 30_000)

  it.concurrent('DATABASE_URL without JUXTA_SECRET: one line, exit 1', async ({ expect }) => {
    const databaseUrl = await rig.pg.createDatabase()
    const line = await refused(expect, { DATABASE_URL: databaseUrl, JUXTA_SECRET: '' })
    expect(line).toContain('needs JUXTA_SECRET')
  }, 20_000)
})
