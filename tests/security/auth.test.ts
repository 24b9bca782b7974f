import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { AUTH_COOKIE, sameSecret } from '../../src/security/auth.ts'
import { rawRequest } from './http.ts'
import { LoginClient, loginCookieLine, sessionCookie } from './login-client.ts'

const TOKEN = 'a1b2c3d4e5f60718293a4b5c6d7e8f90-token'
const DEMO_CONFIG = {
  providers: { demo: { builtin: 'demo', models: [{ id: 'fast', simulate: { ttft_ms: 0, tokens_per_s: 10_000 } }] } },
}

let juxta: RunningJuxta
let host: string

beforeAll(async () => {
  juxta = await startJuxta({ config: DEMO_CONFIG, access: { authToken: TOKEN, allowedHosts: [] } })
  host = new URL(juxta.url).host
})

afterAll(async () => {
  await juxta?.close()
})

// Each test is its own client address: wrong tokens in one test must not throttle the next.
const client = (n: number) => new LoginClient(juxta.url, `127.0.0.${10 + n}`)

describe('with JUXTA_AUTH_TOKEN set', () => {
  it('answers 401 to every request without the token: a login page for browsers, JSON for the API', async () => {
    const c = client(1)
    const page = await c.get('/', { accept: 'text/html' })
    expect(page.status).toBe(401)
    expect(page.body).toContain('action="/login"')
    expect(page.body).not.toContain('Compare</button>')
    expect(page.body).not.toContain('action="/logout"')
    for (const path of ['/api/targets', '/settings', '/history', '/demo/v1/models', '/api/runs']) {
      expect((await c.get(path)).status, path).toBe(401)
    }
    const api = await c.get('/api/targets')
    expect(JSON.parse(api.body).error.message).toMatch(/Bearer/)
    expect(api.headers['www-authenticate']).toMatch(/^Bearer/)
    const post = await rawRequest(`${juxta.url}/api/compare`, {
      method: 'POST',
      headers: { host, 'content-type': 'application/json' },
      body: '{}',
    })
    expect(post.status).toBe(401)
  })

  it('accepts Authorization: Bearer with the token and nothing else', async () => {
    const c = client(2)
    expect((await c.get('/api/targets', { authorization: `Bearer ${TOKEN}` })).status).toBe(200)
    expect((await c.get('/api/targets', { authorization: `Bearer ${TOKEN}x` })).status).toBe(401)
    expect((await c.get('/api/targets', { authorization: `Bearer ${TOKEN.slice(0, -1)}` })).status).toBe(401)
    expect((await c.get('/api/targets', { authorization: `Basic ${TOKEN}` })).status).toBe(401)
    expect((await c.get('/api/targets', { authorization: 'Bearer' })).status).toBe(401)
  })

  it('logs a browser in with an HttpOnly, SameSite=Strict cookie that is not the token', async () => {
    const c = client(3)
    const wrong = await c.login('not-the-token')
    expect(wrong.status).toBe(401)
    expect(wrong.headers['set-cookie']).toBeUndefined()
    expect(wrong.body).toContain('not right')
    expect(wrong.body).not.toContain('not-the-token')

    const ok = await c.login(TOKEN)
    expect(ok.status).toBe(303)
    expect(ok.headers.location).toBe('/settings')
    const line = loginCookieLine(ok)!
    expect(line).toMatch(/HttpOnly/)
    expect(line).toMatch(/SameSite=Strict/)
    expect(line).toMatch(/Path=\//)
    expect(line).not.toMatch(/Secure/) // plain http on loopback, no trusted proxy
    expect(line).not.toContain(TOKEN)
    const pair = sessionCookie(ok)
    const page = await c.get('/settings', { cookie: pair, accept: 'text/html' })
    expect(page.status).toBe(200)
    expect(page.body).toContain('Providers')
    // A forged cookie value does not pass, nor does the token itself as a cookie.
    expect((await c.get('/settings', { cookie: `${AUTH_COOKIE}=${TOKEN}` })).status).toBe(401)
    expect((await c.get('/settings', { cookie: `${AUTH_COOKIE}=${'A'.repeat(43)}` })).status).toBe(401)
  })

  it('gives every login its own random session value', async () => {
    const c = client(4)
    const a = sessionCookie(await c.login(TOKEN))
    const b = sessionCookie(await c.login(TOKEN))
    expect(a).not.toBe(b)
    expect(a.split('=')[1]).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('keeps the login page and its static files reachable', async () => {
    const c = client(5)
    expect((await c.get('/login')).status).toBe(200)
    expect((await c.get('/assets/app.css')).status).toBe(200)
  })

  it('still reaches the built-in demo provider in-process', async () => {
    const res = await rawRequest(`${juxta.url}/api/compare`, {
      method: 'POST',
      headers: { host, authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'hello', targets: ['demo/fast'] }),
    })
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body).results[0].status).toBe('ok')
  })

  it('compares secrets in constant time over fixed-length digests', () => {
    expect(sameSecret(TOKEN, TOKEN)).toBe(true)
    expect(sameSecret('', TOKEN)).toBe(false)
    expect(sameSecret(`${TOKEN}${TOKEN}`, TOKEN)).toBe(false)
  })
})

describe('without a token (loopback only)', () => {
  it('needs no login, and login and logout just lead home', async () => {
    const open = await startJuxta({ config: DEMO_CONFIG })
    try {
      const c = new LoginClient(open.url)
      expect((await c.get('/api/targets')).status).toBe(200)
      const page = await c.get('/', { accept: 'text/html' })
      expect(page.status).toBe(200)
      expect(page.body).not.toContain('action="/logout"')
      const login = await c.login('anything')
      expect(login.status).toBe(303)
      expect(login.headers.location).toBe('/')
      expect(loginCookieLine(login)).toBeUndefined()
      expect((await c.logout(undefined)).headers.location).toBe('/')
    } finally {
      await open.close()
    }
  })
})
