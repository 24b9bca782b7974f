import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fakeConfig, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { openSqliteRunStore, type SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { rawRequest } from './http.ts'

let juxta: RunningJuxta
let store: SqliteRunStore
let dir: string
let host: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'juxta-guard-'))
  // With a store, so the history API's state-changing routes are mounted too.
  store = openSqliteRunStore(join(dir, 'juxta.db'))
  juxta = await startJuxta({
    config: fakeConfig({ local: { base_url: 'http://127.0.0.1:9/v1', requires_key: false, models: ['m'] } }),
    store,
    access: { allowedHosts: ['juxta.lan'] },
  })
  host = new URL(juxta.url).host
})

afterAll(async () => {
  await juxta?.close()
  await store?.close()
  rmSync(dir, { recursive: true, force: true })
})

/** Every route that changes state, as registered in the app (so routes added later are covered too). */
function stateChangingRoutes(): Array<{ method: string; path: string }> {
  const seen = new Set<string>()
  const out: Array<{ method: string; path: string }> = []
  for (const r of juxta.app.routes) {
    if (['GET', 'HEAD', 'OPTIONS', 'ALL'].includes(r.method)) continue
    const path = r.path
      .replace(/:index\{[^}]*\}/g, '0')
      .replace(/:[a-z_]+(\{[^}]*\})?/gi, 'x')
      .replace(/\*/g, 'x')
    const key = `${r.method} ${path}`
    if (!seen.has(key)) {
      seen.add(key)
      out.push({ method: r.method, path })
    }
  }
  return out
}

describe('CSRF: state-changing requests from another origin', () => {
  it('finds the state-changing routes of every area', () => {
    const paths = stateChangingRoutes().map((r) => `${r.method} ${r.path}`)
    for (const expected of [
      'POST /api/compare',
      'POST /runs',
      'POST /settings/providers',
      'DELETE /settings/providers/x/key',
      'POST /login',
      'POST /api/runs/import',
      'DELETE /api/runs/x',
    ]) {
      expect(paths).toContain(expected)
    }
  })

  it('answers 403 to a cross-origin request on every one of them, whatever the content type', async () => {
    const routes = stateChangingRoutes()
    for (const { method, path } of routes) {
      for (const contentType of ['application/x-www-form-urlencoded', 'application/json', 'text/plain']) {
        const res = await rawRequest(`${juxta.url}${path}`, {
          method,
          headers: { host, origin: 'http://evil.example', 'content-type': contentType },
          body: contentType === 'application/json' ? '{}' : 'a=1',
        })
        expect(res.status, `${method} ${path} (${contentType})`).toBe(403)
      }
      const noOrigin = await rawRequest(`${juxta.url}${path}`, {
        method,
        headers: { host, 'sec-fetch-site': 'cross-site', 'content-type': 'text/plain' },
        body: 'a=1',
      })
      expect(noOrigin.status, `${method} ${path} (Sec-Fetch-Site only)`).toBe(403)
      const nullOrigin = await rawRequest(`${juxta.url}${path}`, {
        method,
        headers: { host, origin: 'null', 'content-type': 'text/plain' },
        body: 'a=1',
      })
      expect(nullOrigin.status, `${method} ${path} (Origin: null)`).toBe(403)
    }
  })

  it('refuses a same-site but different-origin page too (another port on localhost)', async () => {
    const port = Number(new URL(juxta.url).port)
    const res = await rawRequest(`${juxta.url}/settings/providers`, {
      method: 'POST',
      headers: {
        host,
        origin: `http://127.0.0.1:${port + 1}`,
        'sec-fetch-site': 'same-site',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'id=a',
    })
    expect(res.status).toBe(403)
  })

  it('lets the same origin through (the guard is not simply closed)', async () => {
    for (const { method, path } of stateChangingRoutes()) {
      if (path === '/runs' || path.endsWith('/retry/0')) continue // would start a stream
      const res = await rawRequest(`${juxta.url}${path}`, {
        method,
        headers: { host, origin: juxta.url, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' },
        body: '{}',
      })
      expect(res.status, `${method} ${path}`).not.toBe(403)
    }
  })

  it('accepts Origin: null only with Sec-Fetch-Site: same-origin', async () => {
    // What a plain form POST sends under Referrer-Policy: no-referrer.
    const send = (headers: Record<string, string>) =>
      rawRequest(`${juxta.url}/settings/providers`, {
        method: 'POST',
        headers: { host, 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: 'id=x',
      })
    expect((await send({ origin: 'null', 'sec-fetch-site': 'same-origin' })).status).toBe(422)
    expect((await send({ origin: 'null', 'sec-fetch-site': 'cross-site' })).status).toBe(403)
    expect((await send({ origin: 'null', 'sec-fetch-site': 'none' })).status).toBe(403)
    expect((await send({ origin: 'null' })).status).toBe(403)
  })

  it('lets non-browser clients (no Origin, no Sec-Fetch-Site) use the API', async () => {
    const res = await rawRequest(`${juxta.url}/api/compare`, {
      method: 'POST',
      headers: { host, 'content-type': 'application/json' },
      body: '{"prompt":"hi","targets":[]}',
    })
    expect(res.status).toBe(422)
  })
})

describe('Host check against DNS rebinding', () => {
  it.each(['evil.example', 'evil.example:8787', 'evil.example.', 'localhost.evil.example', 'juxta.lan.evil.example'])(
    'rejects Host: %s',
    async (bad) => {
      for (const [method, path] of [
        ['GET', '/'],
        ['GET', '/api/targets'],
        ['GET', '/settings'],
        ['POST', '/api/compare'],
      ] as const) {
        const res = await rawRequest(`${juxta.url}${path}`, {
          method,
          headers: { host: bad, 'content-type': 'application/json' },
          body: method === 'POST' ? '{}' : undefined,
        })
        expect(res.status, `${method} ${path}`).toBe(403)
        expect(res.body).not.toContain('<form')
      }
    },
  )

  it('judges in-process requests without a Host header by their URL', async () => {
    expect((await juxta.app.request('/api/targets')).status).toBe(200)
    expect((await juxta.app.request('http://evil.example/api/targets')).status).toBe(403)
  })

  it.each(['127.0.0.1', 'localhost', '[::1]', 'LOCALHOST', 'juxta.lan', '192.168.1.20'])(
    'accepts Host: %s with any port',
    async (good) => {
      const res = await rawRequest(`${juxta.url}/api/targets`, {
        headers: { host: `${good}:${new URL(juxta.url).port}` },
      })
      expect(res.status).toBe(200)
    },
  )
})
