import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { safeNext } from '../../src/security/safe-redirect.ts'
import { LoginClient } from './login-client.ts'

const TOKEN = 'redirect-test-token-0123456789abcdef'
const ORIGIN = 'http://127.0.0.1:8787'

/** Every one of these would take a browser off-site, or is not a plain path: login must go to `/`. */
const HOSTILE = [
  '/\t/evil.example',
  '/\n/evil.example',
  '/\r\n/evil.example',
  '/\t\t//evil.example',
  '\t/evil.example',
  '/\\evil.example',
  '\\/evil',
  '\\\\evil.example',
  '//evil',
  '//evil.example/path',
  '///evil.example',
  '/ /evil.example',
  '/%09/evil.example',
  '/%0a/evil.example',
  '/%5Cevil.example',
  '/%5cevil.example',
  '/%2F%2Fevil.example',
  '/%2f/evil.example',
  '/%2F%252Fevil.example', // mixed: one layer decoded is already `//…`
  '/\\%09evil.example',
  'https://evil.example',
  'https://evil.example/history',
  'http://127.0.0.1:8788/',
  `${ORIGIN}@evil.example/`,
  'HTTPS:evil.example',
  'https:/evil.example',
  'javascript:alert(1)',
  'JavaScript:alert(1)',
  ' javascript:alert(1)',
  '/x/../\\evil.example',
  'data:text/html,<script>alert(1)</script>',
  'evil.example',
  'history',
  '',
  '/%',
  '/%zz',
  '/\u0000/evil.example',
  '/\u007f/evil.example',
]

describe('safeNext', () => {
  it.each(HOSTILE)('refuses %j', (next) => {
    expect(safeNext(next, ORIGIN)).toBe('/')
  })

  it('refuses what is not a string', () => {
    for (const next of [undefined, null, 42, ['/history'], { href: '/history' }]) {
      expect(safeNext(next, ORIGIN)).toBe('/')
    }
  })

  it('keeps a path with its query, percent-encoded', () => {
    expect(safeNext('/history?q=a%20b', ORIGIN)).toBe('/history?q=a%20b')
    expect(safeNext('/runs/01JABC', ORIGIN)).toBe('/runs/01JABC')
    const search = '/history?q=%22a%20phrase%22&target=demo%2Ffast'
    expect(safeNext(search, ORIGIN)).toBe(search)
    expect(safeNext('/settings', ORIGIN)).toBe('/settings')
    expect(safeNext('/', ORIGIN)).toBe('/')
  })

  it('drops a fragment and normalises dot segments the way the browser will', () => {
    expect(safeNext('/history?q=1#//evil.example', ORIGIN)).toBe('/history?q=1')
    expect(safeNext('/#/evil.example', ORIGIN)).toBe('/')
    expect(safeNext('/a/../history', ORIGIN)).toBe('/history')
  })

  it('answers only text a browser resolves on this origin', () => {
    for (const next of [...HOSTILE, '/history?q=a%20b', '/a/../history']) {
      const answer = safeNext(next, ORIGIN)
      expect(new URL(answer, ORIGIN).origin, JSON.stringify(next)).toBe(ORIGIN)
      expect(answer).toMatch(/^\/(?![/\\])/)
    }
  })
})

describe('POST /login with next', () => {
  let juxta: RunningJuxta
  let client: LoginClient

  beforeAll(async () => {
    juxta = await startJuxta({ config: { providers: {} }, access: { authToken: TOKEN, allowedHosts: [] } })
    client = new LoginClient(juxta.url)
  })

  afterAll(async () => {
    await juxta?.close()
  })

  it('redirects a tab, newline or backslash trick home, over real HTTP', async () => {
    const tricks = [
      '/\t/evil.example',
      '/\n/evil.example',
      '/\\evil.example',
      '//evil',
      '/%09/evil.example',
      'https://evil.example',
    ]
    for (const next of tricks) {
      const res = await client.login(TOKEN, next)
      expect(res.status, JSON.stringify(next)).toBe(303)
      expect(res.headers.location, JSON.stringify(next)).toBe('/')
    }
  })

  it('keeps a legitimate path and query', async () => {
    const res = await client.login(TOKEN, '/history?q=a%20b')
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe('/history?q=a%20b')
  })

  it('puts the page asked for into the login form, and nothing hostile', async () => {
    const page = await client.get('/history?q=a%20b', { accept: 'text/html' })
    expect(page.status).toBe(401)
    expect(page.body).toContain('name="next" value="/history?q=a%20b"')
    const form = await client.get(`/login?next=${encodeURIComponent('/\t/evil.example')}`)
    expect(form.body).toContain('name="next" value="/"')
  })
})
