import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemorySessionStore, type SessionRecord, type SessionStore } from '../../../src/security/session-store.ts'
import { openPgDatabase, type PgPool } from '../../../src/storage/postgres/pg-database.ts'
import { PgSessionStore } from '../../../src/storage/postgres/pg-session-store.ts'
import { SqliteSessionStore } from '../../../src/storage/sqlite-session-store.ts'
import { openSqliteRunStore, type SqliteRunStore } from '../../../src/storage/sqlite-run-store.ts'
import { startJuxta, type RunningJuxta } from '../../helpers/juxta.ts'
import { type PgServer, startPostgres } from '../../helpers/pg-server.ts'
import { LoginClient, sessionCookie } from '../../security/login-client.ts'

const FP = 'a'.repeat(64)
const OTHER_FP = 'b'.repeat(64)
// Past 2^31 ms and near today's clock: BIGINT columns must come back as the same numbers.
const T0 = 1_764_600_000_000

const record = (idHash: string, over: Partial<SessionRecord> = {}): SessionRecord => ({
  idHash,
  tokenFingerprint: FP,
  issuedAt: T0,
  lastSeenAt: T0,
  expiresAt: T0 + 3_600_000,
  ...over,
})

let pgServer: PgServer
const pools: PgPool[] = []
const sqlite: SqliteRunStore[] = []
const dirs: string[] = []

beforeAll(async () => {
  pgServer = await startPostgres()
})
afterAll(async () => {
  for (const s of sqlite) await s.close()
  await Promise.all(pools.map((p) => p.end()))
  await pgServer?.stop()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

async function pgPool(): Promise<PgPool> {
  const pool = await openPgDatabase(await pgServer.createDatabase())
  pools.push(pool)
  return pool
}

const kinds: Array<[string, () => Promise<SessionStore>]> = [
  ['memory', async () => new MemorySessionStore()],
  [
    'SQLite',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'juxta-session-contract-'))
      dirs.push(dir)
      const store = openSqliteRunStore(join(dir, 'juxta.db'), { log: () => {}, recover: false })
      sqlite.push(store)
      return new SqliteSessionStore(store.db)
    },
  ],
  ['PostgreSQL', async () => new PgSessionStore(await pgPool())],
]

describe.each(kinds)('the session store contract: %s', (_name, make) => {
  it('finds what was inserted, as a copy, with the same numbers', async () => {
    const store = await make()
    const s = record('h1')
    await store.insert(s)
    const found = await store.find('h1')
    expect(found).toEqual(s)
    found!.expiresAt = 0
    expect((await store.find('h1'))?.expiresAt).toBe(T0 + 3_600_000)
    expect(await store.find('nope')).toBeUndefined()
  })

  it('refuses a second session with the same id', async () => {
    const store = await make()
    await store.insert(record('dup'))
    await expect(store.insert(record('dup'))).rejects.toThrow()
  })

  it('touches last-seen and expiry of one session only', async () => {
    const store = await make()
    await store.insert(record('t1'))
    await store.insert(record('t2'))
    await store.touch('t1', T0 + 60_000, T0 + 7_200_000)
    await store.touch('missing', T0, T0)
    expect(await store.find('t1')).toEqual(record('t1', { lastSeenAt: T0 + 60_000, expiresAt: T0 + 7_200_000 }))
    expect(await store.find('t2')).toEqual(record('t2'))
  })

  it('deletes, saying whether there was such a session', async () => {
    const store = await make()
    await store.insert(record('d1'))
    expect(await store.delete('d1')).toBe(true)
    expect(await store.delete('d1')).toBe(false)
    expect(await store.find('d1')).toBeUndefined()
  })

  it('prunes expired sessions and those of another token, and counts them', async () => {
    const store = await make()
    await store.insert(record('live'))
    await store.insert(record('expired', { expiresAt: T0 + 10 }))
    await store.insert(record('at-now', { expiresAt: T0 + 100 }))
    await store.insert(record('old-token', { tokenFingerprint: OTHER_FP }))
    expect(await store.prune(T0 + 100, FP)).toBe(3)
    expect(await store.find('live')).toEqual(record('live'))
    for (const gone of ['expired', 'at-now', 'old-token']) expect(await store.find(gone)).toBeUndefined()
    expect(await store.prune(T0 + 100, FP)).toBe(0)
  })
})

describe('login sessions in PostgreSQL', () => {
  const TOKEN = 'pg-session-token-0123456789abcdef'
  const running: RunningJuxta[] = []
  afterAll(async () => {
    for (const j of running) await j.close()
  })

  it('are valid on every instance: a login on A opens B, a logout on B closes A', async () => {
    const url = await pgServer.createDatabase()
    const start = async () => {
      // Each instance with its own pool, as separate processes would have.
      const pool = await openPgDatabase(url)
      pools.push(pool)
      const juxta = await startJuxta({
        config: { providers: {} },
        access: { authToken: TOKEN, allowedHosts: [] },
        sessionStore: new PgSessionStore(pool),
      })
      running.push(juxta)
      return new LoginClient(juxta.url)
    }
    const [a, b] = [await start(), await start()]
    const cookie = sessionCookie(await a.login(TOKEN))
    expect((await b.get('/settings', { cookie })).status).toBe(200)
    expect((await a.get('/settings', { cookie })).status).toBe(200)
    await b.logout(cookie)
    expect((await a.get('/settings', { cookie })).status).toBe(401)
    expect((await b.get('/settings', { cookie })).status).toBe(401)
  })
})

describe('login sessions while PostgreSQL is away', () => {
  const TOKEN = 'pg-away-token-0123456789abcdef0123'
  let juxta: RunningJuxta | undefined
  afterAll(async () => {
    await juxta?.close()
  })

  it('answer 503 saying so (not a login page), and the same cookie works once it is back', async () => {
    const pool = await openPgDatabase(await pgServer.createDatabase())
    pools.push(pool)
    juxta = await startJuxta({
      config: { providers: {} },
      access: { authToken: TOKEN, allowedHosts: [] },
      sessionStore: new PgSessionStore(pool),
    })
    const client = new LoginClient(juxta.url)
    const cookie = sessionCookie(await client.login(TOKEN))
    await pgServer.kill()
    try {
      const page = await client.get('/settings', { cookie, accept: 'text/html' })
      expect(page.status).toBe(503)
      expect(page.body).toMatch(/login sessions are unavailable \(the database does not answer\)/)
      const api = await client.get('/api/runs', { cookie })
      expect(api.status).toBe(503)
      expect(JSON.parse(api.body).error.message).toMatch(/login sessions are unavailable/)
      expect((await client.login(TOKEN)).status).toBe(503)
    } finally {
      await pgServer.start()
    }
    expect((await client.get('/settings', { cookie })).status).toBe(200)
  })
})
