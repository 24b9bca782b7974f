import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { AUTH_COOKIE, sameSecret, sessionValue } from '../../src/security/auth.ts'
import { safeNext } from '../../src/routes/login.tsx'
import { rawRequest } from './http.ts'

const TOKEN = 'a1b2c3d4e5f60718293a4b5c6d7e8f90-token'
const DEMO_CONFIG = { providers: { demo: { builtin: 'demo', models: [{ id: 'fast', simulate: { ttft_ms: 0, tokens_per_s: 10_000 } }] } } }

let juxta: RunningJuxta
let host: string

beforeAll(async () => {
  juxta = await startJuxta({ config: DEMO_CONFIG, access: { authToken: TOKEN, allowedHosts: [] } })
  host = new URL(juxta.url).host
})

afterAll(async () => {
  await juxta?.close()
})

const get = (path: string, headers: Record<string, string> = {}) => rawRequest(`${juxta.url}${path}`, { headers: { host, ...headers } })

function loginCookie(setCookie: string | string[] | undefined): string {
  const line = (Array.isArray(setCookie) ? setCookie : [setCookie ?? '']).find((l) => l.startsWith(`${AUTH_COOKIE}=`))
  if (!line) throw new Error('no login cookie')
  return line
}

async function login(token: string, next = '/settings') {
  return rawRequest(`${juxta.url}/login`, {
    method: 'POST',
    headers: { host, origin: juxta.url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, next }).toString(),
  })
}

describe('with JUXTA_AUTH_TOKEN set', () => {
  it('answers 401 to every request without the token: a login page for browsers, JSON for the API', async () => {
    const page = await get('/', { accept: 'text/html' })
    expect(page.status).toBe(401)
    expect(page.body).toContain('action="/login"')
    expect(page.body).not.toContain('Compare</button>')
    for (const path of ['/api/targets', '/settings', '/history', '/demo/v1/models', '/api/runs']) {
      expect((await get(path)).status, path).toBe(401)
    }
    const api = await get('/api/targets')
    expect(JSON.parse(api.body).error.message).toMatch(/Bearer/)
    expect(api.headers['www-authenticate']).toMatch(/^Bearer/)
    const post = await rawRequest(`${juxta.url}/api/compare`, { method: 'POST', headers: { host, 'content-type': 'application/json' }, body: '{}' })
    expect(post.status).toBe(401)
  })

  it('accepts Authorization: Bearer with the token and nothing else', async () => {
    expect((await get('/api/targets', { authorization: `Bearer ${TOKEN}` })).status).toBe(200)
    expect((await get('/api/targets', { authorization: `Bearer ${TOKEN}x` })).status).toBe(401)
    expect((await get('/api/targets', { authorization: `Bearer ${TOKEN.slice(0, -1)}` })).status).toBe(401)
    expect((await get('/api/targets', { authorization: `Basic ${TOKEN}` })).status).toBe(401)
    expect((await get('/api/targets', { authorization: 'Bearer' })).status).toBe(401)
  })

  it('logs a browser in with an HttpOnly, SameSite=Strict cookie that is not the token', async () => {
    const wrong = await login('not-the-token')
    expect(wrong.status).toBe(401)
    expect(wrong.headers['set-cookie']).toBeUndefined()
    expect(wrong.body).toContain('not right')
    expect(wrong.body).not.toContain('not-the-token')

    const ok = await login(TOKEN)
    expect(ok.status).toBe(303)
    expect(ok.headers.location).toBe('/settings')
    const cookie = loginCookie(ok.headers['set-cookie'])
    expect(cookie).toMatch(/HttpOnly/)
    expect(cookie).toMatch(/SameSite=Strict/)
    expect(cookie).toMatch(/Path=\//)
    expect(cookie).not.toContain(TOKEN)
    const pair = cookie.split(';')[0]!
    const page = await get('/settings', { cookie: pair, accept: 'text/html' })
    expect(page.status).toBe(200)
    expect(page.body).toContain('Providers')
    // A forged cookie value does not pass.
    expect((await get('/settings', { cookie: `${AUTH_COOKIE}=${TOKEN}` })).status).toBe(401)
  })

  it('keeps the login page and its static files reachable', async () => {
    expect((await get('/login')).status).toBe(200)
    expect((await get('/assets/app.css')).status).toBe(200)
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

  it('never redirects to another site after login', async () => {
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
      expect(safeNext(next)).toBe('/')
    }
    expect(safeNext('/history?q=1')).toBe('/history?q=1')
    const res = await login(TOKEN, '//evil.example/')
    expect(res.headers.location).toBe('/')
  })

  it('compares secrets in constant time over fixed-length digests', () => {
    expect(sameSecret(TOKEN, TOKEN)).toBe(true)
    expect(sameSecret('', TOKEN)).toBe(false)
    expect(sameSecret(`${TOKEN}${TOKEN}`, TOKEN)).toBe(false)
    expect(sessionValue(TOKEN)).not.toBe(sessionValue(`${TOKEN}2`))
  })
})

describe('without a token (loopback only)', () => {
  it('needs no login', async () => {
    const open = await startJuxta({ config: DEMO_CONFIG })
    try {
      const res = await rawRequest(`${open.url}/api/targets`, { headers: { host: new URL(open.url).host } })
      expect(res.status).toBe(200)
    } finally {
      await open.close()
    }
  })
})
