import { afterEach, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { openSqliteRunStore, type SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { SqliteSessionStore } from '../../src/storage/sqlite-session-store.ts'
import { MemorySessionStore, type SessionStore } from '../../src/security/session-store.ts'
import { SESSION_ABSOLUTE_MS, SESSION_IDLE_MS } from '../../src/security/sessions.ts'
import { LoginClient, loginCookieLine, sessionCookie } from './login-client.ts'

const TOKEN = 'session-test-token-0123456789abcdef'
const OTHER_TOKEN = 'another-session-token-0123456789abcdef'
const HOUR = 3600_000
const CONFIG = { providers: {} }

const running: RunningJuxta[] = []
const stores: SqliteRunStore[] = []
const dirs: string[] = []

afterEach(async () => {
  for (const j of running.splice(0)) await j.close()
  for (const s of stores.splice(0)) await s.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

interface StartOptions {
  token?: string
  sessionStore?: SessionStore
  now?: () => number
  store?: SqliteRunStore
}

async function start(options: StartOptions = {}) {
  const juxta = await startJuxta({
    config: CONFIG,
    store: options.store,
    access: { authToken: options.token ?? TOKEN, allowedHosts: [] },
    sessionStore: options.sessionStore,
    now: options.now,
  })
  running.push(juxta)
  return { juxta, client: new LoginClient(juxta.url) }
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'juxta-sessions-'))
  dirs.push(dir)
  return dir
}

describe('logout', () => {
  it('revokes the session on the server: the same cookie replayed afterwards gets 401', async () => {
    const { client, juxta } = await start()
    const cookie = sessionCookie(await client.login(TOKEN))
    expect((await client.get('/settings', { cookie })).status).toBe(200)

    const out = await client.logout(cookie)
    expect(out.status).toBe(303)
    expect(out.headers.location).toBe('/login')
    const cleared = loginCookieLine(out)!
    expect(cleared).toMatch(/Max-Age=0/)
    expect(cleared).toMatch(/HttpOnly/)

    for (const path of ['/settings', '/api/targets', '/api/runs']) {
      expect((await client.get(path, { cookie })).status, path).toBe(401)
    }
    const page = await client.get('/', { cookie, accept: 'text/html' })
    expect(page.status).toBe(401)
    expect(page.body).toContain('action="/login"')
    expect(juxta.logs.some((l) => /session ended for 127\.0\.0\.1/.test(l))).toBe(true)
  })

  it('ends only that session; other browsers stay logged in', async () => {
    const { client } = await start()
    const a = sessionCookie(await client.login(TOKEN))
    const b = sessionCookie(await client.login(TOKEN))
    await client.logout(a)
    expect((await client.get('/settings', { cookie: a })).status).toBe(401)
    expect((await client.get('/settings', { cookie: b })).status).toBe(200)
  })

  it('is refused from another site (CSRF), leaving the session alive', async () => {
    const { client } = await start()
    const cookie = sessionCookie(await client.login(TOKEN))
    const crossSite = { cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }
    const forged = await client.form('/logout', {}, crossSite)
    expect(forged.status).toBe(403)
    expect((await client.get('/settings', { cookie })).status).toBe(200)
  })

  it('is offered in the page header only to a logged-in browser', async () => {
    const store = openSqliteRunStore(join(tempDir(), 'juxta.db'))
    stores.push(store)
    const { client } = await start({ store })
    const cookie = sessionCookie(await client.login(TOKEN))
    for (const path of ['/', '/history', '/spend', '/settings', '/no-such-page']) {
      const page = await client.get(path, { cookie, accept: 'text/html' })
      expect(page.status, path).toBe(path === '/no-such-page' ? 404 : 200)
      const header = /<header class="topbar">[\s\S]*?<\/header>/.exec(page.body)?.[0] ?? ''
      expect(header, path).toContain('<form method="post" action="/logout" class="logout">')
      expect(page.body.match(/action="\/logout"/g), path).toHaveLength(1)
    }
    const login = await client.get('/login')
    expect(login.body).not.toContain('action="/logout"')
    // A bearer client has no session to end.
    const bearer = await client.get('/settings', { authorization: `Bearer ${TOKEN}`, accept: 'text/html' })
    expect(bearer.status).toBe(200)
    expect(bearer.body).not.toContain('action="/logout"')
  })
})

describe('session lifetime (injected clock)', () => {
  it(`ends a session unused for ${SESSION_IDLE_MS / HOUR} h`, async () => {
    let now = Date.UTC(2026, 11, 1)
    const { client } = await start({ now: () => now })
    const cookie = sessionCookie(await client.login(TOKEN))
    now += SESSION_IDLE_MS - 60_000
    expect((await client.get('/settings', { cookie })).status).toBe(200)
    // Use moved the idle limit on.
    now += SESSION_IDLE_MS - 60_000
    expect((await client.get('/settings', { cookie })).status).toBe(200)
    now += SESSION_IDLE_MS
    expect((await client.get('/settings', { cookie })).status).toBe(401)
    // Gone for good: moving the clock back does not revive it.
    now -= SESSION_IDLE_MS
    expect((await client.get('/settings', { cookie })).status).toBe(401)
  })

  it(`ends a session ${SESSION_ABSOLUTE_MS / 24 / HOUR} days after login even when used all along`, async () => {
    let now = Date.UTC(2026, 11, 1)
    const { client } = await start({ now: () => now })
    const login = await client.login(TOKEN)
    expect(loginCookieLine(login)).toMatch(new RegExp(`Max-Age=${SESSION_ABSOLUTE_MS / 1000}`))
    const cookie = sessionCookie(login)
    const end = now + SESSION_ABSOLUTE_MS
    while (now + 11 * HOUR < end) {
      now += 11 * HOUR
      expect((await client.get('/api/targets', { cookie })).status).toBe(200)
    }
    now = end
    expect((await client.get('/api/targets', { cookie })).status).toBe(401)
  })
})

describe('changing JUXTA_AUTH_TOKEN', () => {
  it('voids every session the old token issued', async () => {
    const store = new MemorySessionStore()
    const first = await start({ sessionStore: store })
    const cookie = sessionCookie(await first.client.login(TOKEN))
    expect((await first.client.get('/settings', { cookie })).status).toBe(200)
    await first.juxta.close()
    running.splice(running.indexOf(first.juxta), 1)

    const second = await start({ token: OTHER_TOKEN, sessionStore: store })
    expect((await second.client.get('/settings', { cookie })).status).toBe(401)
    expect((await second.client.login(TOKEN)).status).toBe(401)
    const fresh = sessionCookie(await second.client.login(OTHER_TOKEN))
    expect((await second.client.get('/settings', { cookie: fresh })).status).toBe(200)
  })
})

describe('sessions in the SQLite database', () => {
  it('survive a restart, and the database holds neither the cookie nor the token', async () => {
    const dir = tempDir()
    const path = join(dir, 'juxta.db')
    const open = () => {
      const store = openSqliteRunStore(path)
      stores.push(store)
      return store
    }
    let db = open()
    const first = await start({ sessionStore: new SqliteSessionStore(db.db) })
    const cookie = sessionCookie(await first.client.login(TOKEN))
    expect((await first.client.get('/settings', { cookie })).status).toBe(200)
    await first.juxta.close()
    running.splice(running.indexOf(first.juxta), 1)
    await db.close()

    const value = cookie.split('=')[1]!
    for (const file of readdirSync(dir)) {
      const bytes = readFileSync(join(dir, file)).toString('latin1')
      expect(bytes, file).not.toContain(value)
      expect(bytes, file).not.toContain(TOKEN)
    }

    db = open()
    const rows = db.db.prepare('SELECT * FROM login_sessions').all() as Array<Record<string, unknown>>
    expect(rows).toHaveLength(1)
    expect(rows[0]!.id_hash).toMatch(/^[0-9a-f]{64}$/)
    expect(Number(rows[0]!.expires_at)).toBeGreaterThan(Number(rows[0]!.issued_at))
    const second = await start({ sessionStore: new SqliteSessionStore(db.db) })
    expect((await second.client.get('/settings', { cookie })).status).toBe(200)

    // Logout removes the row, so a restart cannot bring it back either.
    await second.client.logout(cookie)
    expect(db.db.prepare('SELECT count(*) AS n FROM login_sessions').get()).toEqual({ n: 0 })
  })

  it('drops expired sessions and those of another token when the app starts', async () => {
    const store = openSqliteRunStore(join(tempDir(), 'juxta.db'))
    stores.push(store)
    const sessions = new SqliteSessionStore(store.db)
    let now = Date.UTC(2026, 11, 1)
    const first = await start({ sessionStore: sessions, now: () => now })
    await first.client.login(TOKEN)
    await first.client.login(TOKEN)
    now += 1000
    expect(store.db.prepare('SELECT count(*) AS n FROM login_sessions').get()).toEqual({ n: 2 })
    await start({ token: OTHER_TOKEN, sessionStore: sessions, now: () => now })
    expect(store.db.prepare('SELECT count(*) AS n FROM login_sessions').get()).toEqual({ n: 0 })
  })
})
