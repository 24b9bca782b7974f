import { Redis } from 'ioredis'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KeyStore } from '../../src/keys/key-store.ts'
import { RedisSettingsBus } from '../../src/settings/redis-settings-bus.ts'
import { openPgDatabase, type PgPool } from '../../src/storage/postgres/pg-database.ts'
import { PgSettingsDocument } from '../../src/storage/postgres/pg-settings-document.ts'
import { openPgSettings } from '../../src/team/pg-settings.ts'
import { compareResults, type RunningJuxta, startJuxta } from '../helpers/juxta.ts'
import { type PgServer, startPostgres } from '../helpers/pg-server.ts'
import { type RedisServer, startRedis } from '../helpers/redis-server.ts'
import { formPost, rawRequest } from '../security/http.ts'
import { type KeyUpstream, startKeyUpstream } from '../security/key-upstream.ts'

const KEY = 'sk-team-0123456789abcdef-SHARED1'
const SECRET = 'team-secret-0123456789abcdef-0123'

let pgServer: PgServer
let redisServer: RedisServer
let upstream: KeyUpstream
const pools: PgPool[] = []
const clients: Redis[] = []
const buses: RedisSettingsBus[] = []
const running: RunningJuxta[] = []
let prefixes = 0

beforeAll(async () => {
  ;[pgServer, redisServer, upstream] = await Promise.all([
    startPostgres(),
    startRedis(),
    startKeyUpstream({ key: KEY, models: ['m1'] }),
  ])
})
afterAll(async () => {
  for (const j of running) await j.close()
  for (const b of buses) await b.close()
  for (const c of clients) c.disconnect()
  await Promise.all(pools.map((p) => p.end()))
  await Promise.all([pgServer?.stop(), redisServer?.stop(), upstream?.close()])
})

interface Instance {
  juxta: RunningJuxta
  pool: PgPool
  /** Lines the settings stores and the bus logged. */
  logs: string[]
}

/** One Juxta instance as a team runs it: its own pool, key and provider stores, and Redis connection. */
async function instance(url: string, prefix: string, secret: string | null = SECRET): Promise<Instance> {
  const logs: string[] = []
  const log = (line: string) => logs.push(line)
  const pool = await openPgDatabase(url, { log })
  pools.push(pool)
  const { keys, customProviders } = await openPgSettings(pool, { secret: secret ?? undefined, log })
  const redis = new Redis(redisServer.url)
  redis.on('error', () => {})
  clients.push(redis)
  const settingsBus = await RedisSettingsBus.open({ redis, prefix, log })
  buses.push(settingsBus)
  const juxta = await startJuxta({
    config: {
      run: { max_retries: 0 },
      providers: { up: { name: 'Team upstream', base_url: upstream.url, models: ['m1'] } },
    },
    keys,
    customProviders,
    settingsBus,
  })
  running.push(juxta)
  return { juxta, pool, logs }
}

async function pair(): Promise<[Instance, Instance]> {
  const url = await pgServer.createDatabase()
  const prefix = `t${++prefixes}:`
  return [await instance(url, prefix), await instance(url, prefix)]
}

const chatAuth = () =>
  upstream.requests.filter((r) => r.path.endsWith('/chat/completions')).map((r) => r.headers.authorization)

async function documents(pool: PgPool): Promise<Array<{ name: string; body: string; version: string }>> {
  return (await pool.query('SELECT name, body, version FROM settings_documents ORDER BY name')).rows
}

describe('settings shared by two instances (PostgreSQL + Redis)', () => {
  it("uses a key saved through A's settings page in B's next compare, and never stores it in plaintext", async () => {
    const [a, b] = await pair()
    expect(b.juxta.ctx.catalog().provider('up')?.keyStatus).toBe('missing')
    const saved = await formPost(a.juxta.url, '/settings/providers/up/key', { api_key: KEY })
    expect(saved.status).toBe(200)
    expect(saved.body).toContain('Key saved.')
    expect(saved.body).not.toContain(KEY)

    await expect.poll(() => b.juxta.ctx.catalog().provider('up')?.keyStatus).toBe('stored')
    const before = chatAuth().length
    const [result] = await compareResults(b.juxta.url, 'ping', ['up/m1'])
    expect(result).toMatchObject({ status: 'ok', text: 'pong' })
    expect(chatAuth().slice(before)).toEqual([`Bearer ${KEY}`])

    // What the database holds: the key sealed (AES-GCM with its nonce and tag), nowhere in plaintext.
    const rows = await documents(a.pool)
    expect(rows.map((r) => r.name)).toEqual(['keys'])
    const body = JSON.parse(rows[0]!.body)
    expect(body.keys.up).toMatchObject({ origin: new URL(upstream.url).origin, sealed: { nonce: expect.any(String) } })
    expect(body.keys.up.plain).toBeUndefined()
    const dump = (await a.pool.query("SELECT string_agg(body, ' ') AS all FROM settings_documents")).rows[0].all
    expect(dump).not.toContain(KEY)
    expect(dump).not.toContain(Buffer.from(KEY).toString('base64'))
    // A third instance starting now reads it, with the secret; without it, nothing is readable.
    const late = await KeyStore.openShared(new PgSettingsDocument(a.pool, 'keys'), { secret: SECRET })
    expect(late.get('up', upstream.url)).toBe(KEY)
    const noSecret = await KeyStore.openShared(new PgSettingsDocument(a.pool, 'keys'), {})
    expect(noSecret.state('up', upstream.url)).toEqual({ kind: 'unreadable' })

    // Deleting it on B takes it away from A.
    expect((await formPost(b.juxta.url, '/settings/providers/up/key', {}, 'DELETE')).body).toContain(
      'Stored key deleted.',
    )
    await expect.poll(() => a.juxta.ctx.catalog().provider('up')?.keyStatus).toBe('missing')
    expect(a.juxta.ctx.keys.secrets()).not.toContain(KEY)
  })

  it("shows a custom provider added on A on B's compare page at once, and B uses its new prices", async () => {
    const [a, b] = await pair()
    const added = await formPost(a.juxta.url, '/settings/providers', {
      id: 'mine',
      name: 'Mine',
      base_url: upstream.url,
      models: 'm1 0.5 1.5',
      api_key: KEY,
    })
    expect(added.status).toBe(200)
    const comparePage = async () => (await rawRequest(`${b.juxta.url}/`, { headers: { host: 'localhost' } })).body
    await expect.poll(comparePage).toContain('value="mine/m1"')
    const [first] = await compareResults(b.juxta.url, 'ping', ['mine/m1'])
    expect(first).toMatchObject({ status: 'ok' })
    expect(first!.cost.unit_price).toMatchObject({ input: 0.5, output: 1.5 })

    const edited = await formPost(a.juxta.url, '/settings/providers/mine', {
      name: 'Mine',
      base_url: upstream.url,
      models: 'm1 2 4',
    })
    expect(edited.status).toBe(200)
    await expect.poll(() => b.juxta.ctx.catalog().find('mine/m1')?.model.price).toMatchObject({ input: 2, output: 4 })
    const [second] = await compareResults(b.juxta.url, 'ping', ['mine/m1'])
    expect(second!.cost.unit_price).toMatchObject({ input: 2, output: 4 })

    expect((await formPost(b.juxta.url, '/settings/providers/mine', {}, 'DELETE')).status).toBe(200)
    await expect
      .poll(async () => (await rawRequest(`${a.juxta.url}/`, { headers: { host: 'localhost' } })).body)
      .not.toContain('value="mine/m1"')
    expect(a.juxta.ctx.keys.state('mine', upstream.url)).toEqual({ kind: 'none' })
  })

  it('keeps both of two changes made at once on two instances (no lost update)', async () => {
    const [a, b] = await pair()
    const base = 'https://llm.example.com/v1'
    await Promise.all([
      a.juxta.ctx.keys.set('one', base, `${KEY}-1`),
      b.juxta.ctx.keys.set('two', base, `${KEY}-2`),
      a.juxta.ctx.customProviders.put('p-a', { base_url: base, models: ['x'] }),
      b.juxta.ctx.customProviders.put('p-b', { base_url: base, models: ['y'] }),
    ])
    for (const i of [a, b]) await i.juxta.ctx.keys.reload()
    for (const i of [a, b]) await i.juxta.ctx.customProviders.reload()
    for (const i of [a, b]) {
      expect([i.juxta.ctx.keys.get('one', base), i.juxta.ctx.keys.get('two', base)]).toEqual([`${KEY}-1`, `${KEY}-2`])
      expect([...i.juxta.ctx.customProviders.all().keys()].sort()).toEqual(['p-a', 'p-b'])
    }
    const versions = Object.fromEntries((await documents(a.pool)).map((r) => [r.name, Number(r.version)]))
    expect(versions).toEqual({ keys: 2, providers: 2 })
  })

  it('refuses to store a key in the database without JUXTA_SECRET, and says why', async () => {
    const url = await pgServer.createDatabase()
    const bare = await instance(url, `t${++prefixes}:`, null)
    const page = await rawRequest(`${bare.juxta.url}/settings`, { headers: { host: 'localhost' } })
    expect(page.body).toContain('set JUXTA_SECRET first')
    const refused = await formPost(bare.juxta.url, '/settings/providers/up/key', { api_key: KEY })
    expect(refused.status).toBe(409)
    expect(refused.body).toContain('only encrypted: set JUXTA_SECRET')
    expect(refused.body).not.toContain(KEY)
    expect(await documents(bare.pool)).toEqual([])
  })

  it('catches up on a change made while its Redis connection was down', async () => {
    const [a, b] = await pair()
    await redisServer.kill()
    try {
      const saved = await formPost(a.juxta.url, '/settings/providers/up/key', { api_key: KEY })
      // Written to the database; only the announcement failed.
      expect(saved.body).toContain('Key saved.')
      expect(a.juxta.logs.some((l) => /could not tell the other instances about a keys change/.test(l))).toBe(true)
      expect(a.juxta.ctx.catalog().provider('up')?.keyStatus).toBe('stored')
      expect(b.juxta.ctx.catalog().provider('up')?.keyStatus).toBe('missing')
    } finally {
      await redisServer.start()
    }
    await expect.poll(() => b.juxta.ctx.catalog().provider('up')?.keyStatus, { timeout: 15_000 }).toBe('stored')
    expect(b.juxta.ctx.keys.get('up', upstream.url)).toBe(KEY)
  })
})

describe('an announcement that arrives while the database is away', () => {
  it('is applied once the database is back', async () => {
    const url = await pgServer.createDatabase()
    const prefix = `t${++prefixes}:`
    const b = await instance(url, prefix)
    // A change written by another instance, announced only after the database went away.
    const other = await KeyStore.openShared(new PgSettingsDocument(b.pool, 'keys'), { secret: SECRET })
    await other.set('up', upstream.url, KEY)
    await pgServer.kill()
    try {
      const publisher = new Redis(redisServer.url)
      publisher.on('error', () => {})
      clients.push(publisher)
      await publisher.publish(`${prefix}settings`, JSON.stringify({ from: 'another-instance', topics: ['keys'] }))
      await expect.poll(() => b.logs.some((l) => /could not apply a change.*retrying/.test(l))).toBe(true)
      expect(b.juxta.ctx.catalog().provider('up')?.keyStatus).toBe('missing')
    } finally {
      await pgServer.start()
    }
    await expect.poll(() => b.juxta.ctx.catalog().provider('up')?.keyStatus, { timeout: 15_000 }).toBe('stored')
  })
})

describe('a change that loses the race to another instance', () => {
  it("is applied again over the winner's document, whose key-derivation salt the loser adopts", async () => {
    const url = await pgServer.createDatabase()
    const pool = await openPgDatabase(url)
    pools.push(pool)
    const base = 'https://llm.example.com/v1'
    // Both open an empty document, so each starts with a salt of its own.
    const first = await KeyStore.openShared(new PgSettingsDocument(pool, 'keys'), { secret: SECRET })
    const second = await KeyStore.openShared(new PgSettingsDocument(pool, 'keys'), { secret: SECRET })
    await first.set('one', base, `${KEY}-1`)
    await second.set('two', base, `${KEY}-2`) // written over version 0: refused, read again, applied again
    expect([second.get('one', base), second.get('two', base)]).toEqual([`${KEY}-1`, `${KEY}-2`])
    await first.reload()
    expect([first.get('one', base), first.get('two', base)]).toEqual([`${KEY}-1`, `${KEY}-2`])
    const fresh = await KeyStore.openShared(new PgSettingsDocument(pool, 'keys'), { secret: SECRET })
    expect(fresh.secrets().sort()).toEqual([`${KEY}-1`, `${KEY}-2`])
    const { rows } = await pool.query("SELECT version FROM settings_documents WHERE name = 'keys'")
    expect(rows).toEqual([{ version: '2' }])
  })
})

describe('the settings_documents table', () => {
  it('is written only over the version read', async () => {
    const url = await pgServer.createDatabase()
    const pool = await openPgDatabase(url)
    pools.push(pool)
    const doc = new PgSettingsDocument(pool, 'x')
    expect(await doc.read()).toBeUndefined()
    expect(await doc.write('one', 0)).toBe(true)
    expect(await doc.write('again', 0)).toBe(false)
    expect(await doc.write('two', 1)).toBe(true)
    expect(await doc.write('stale', 1)).toBe(false)
    expect(await doc.read()).toEqual({ text: 'two', version: 2 })
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    const cols = await client.query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    )
    await client.end()
    expect(cols.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(['instances', 'login_sessions', 'settings_documents']),
    )
  })
})
