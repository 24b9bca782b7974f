import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  BlockedAddressError,
  createGuardedFetch,
  createUpstreamHttp,
  type Resolver,
} from '../../src/security/guarded-fetch.ts'
import { nodeBodyOf } from '../../src/http/node-body.ts'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, postCompare, startJuxta, TEST_KEY, type RunningJuxta } from '../helpers/juxta.ts'
import { FORBIDDEN_URLS } from './forbidden-urls.ts'

let upstream: FakeUpstream
let redirector: Server
let redirectorOrigin: string
let redirectHits = 0

beforeAll(async () => {
  upstream = await startFakeUpstream()
  // A "public" server whose every answer redirects to the metadata service.
  redirector = createServer((req, res) => {
    redirectHits++
    req.resume()
    res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' })
    res.end()
  })
  const port = await new Promise<number>((resolve) =>
    redirector.listen(0, '127.0.0.1', () => resolve((redirector.address() as AddressInfo).port)),
  )
  redirectorOrigin = `http://127.0.0.1:${port}`
})

afterAll(async () => {
  await upstream?.close()
  redirector?.closeAllConnections()
  await new Promise<void>((resolve) => redirector?.close(() => resolve()))
})

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p
  } catch (err) {
    return err
  }
  throw new Error('expected the request to be refused')
}

const causeOf = (err: unknown) => (err as { cause?: unknown }).cause

describe('the connect-time guard', () => {
  it.each(FORBIDDEN_URLS)('refuses %s before any connection', async (url) => {
    const guarded = createGuardedFetch({ resolver: () => Promise.reject(new Error('must not resolve')) })
    const err = await rejection(guarded(url))
    expect(causeOf(err)).toBeInstanceOf(BlockedAddressError)
  })

  it('checks the resolved address inside connect: a name resolving to the metadata service is refused', async () => {
    const resolver: Resolver = async (host) =>
      host === 'rebind.test' ? [{ address: '169.254.169.254', family: 4 }] : []
    const err = await rejection(
      createGuardedFetch({ resolver })(`http://rebind.test:${new URL(upstream.origin).port}/v1/models`),
    )
    expect(String((causeOf(err) as Error).message)).toMatch(/rebind\.test.*169\.254\.169\.254.*link-local/)
  })

  it('refuses a name when any of its addresses is blocked, in every IPv6 disguise', async () => {
    for (const bad of ['::ffff:169.254.169.254', '64:ff9b::a9fe:a9fe', 'fd00:ec2::254', '0.0.0.0']) {
      const resolver: Resolver = async () => [
        { address: '127.0.0.1', family: 4 },
        { address: bad, family: bad.includes(':') ? 6 : 4 },
      ]
      const err = await rejection(
        createGuardedFetch({ resolver })(`http://mixed.test:${new URL(upstream.origin).port}/v1/models`),
      )
      expect(causeOf(err)).toBeInstanceOf(BlockedAddressError)
    }
  })

  it('connects to the address it validated (a name resolving to loopback reaches the local server)', async () => {
    const before = upstream.requests.length
    const resolver: Resolver = async () => [{ address: '127.0.0.1', family: 4 }]
    const res = await createGuardedFetch({ resolver })(
      `http://any-name.test:${new URL(upstream.origin).port}/v1/models`,
    )
    expect(res.status).toBe(200)
    expect(upstream.requests.length).toBe(before + 1)
    expect(upstream.requests.at(-1)!.headers.host).toBe(`any-name.test:${new URL(upstream.origin).port}`)
  })

  it('uses the system resolver by default (localhost is allowed)', async () => {
    const res = await createGuardedFetch()(`http://localhost:${new URL(upstream.origin).port}/v1/models`)
    expect(res.status).toBe(200)
  })
})

describe("the streaming twin (the relay's own requests)", () => {
  it.each(FORBIDDEN_URLS)('refuses %s before any connection, like fetch', async (url) => {
    const { streamingFetch } = createUpstreamHttp({ resolver: () => Promise.reject(new Error('must not resolve')) })
    const err = await rejection(streamingFetch(url))
    expect(causeOf(err)).toBeInstanceOf(BlockedAddressError)
  })

  it('refuses a forbidden URL every time, whatever the path (the check is kept per scheme and host)', async () => {
    const { fetch: guarded, streamingFetch } = createUpstreamHttp({
      resolver: () => Promise.reject(new Error('must not resolve')),
    })
    for (const path of ['/latest/meta-data/', '/v1/chat/completions', '/v1/chat/completions', '']) {
      for (const f of [guarded, streamingFetch]) {
        expect(causeOf(await rejection(f(`http://169.254.169.254${path}`)))).toBeInstanceOf(BlockedAddressError)
        expect(causeOf(await rejection(f(`http://user:pw@127.0.0.1:1${path}`)))).toBeInstanceOf(BlockedAddressError)
      }
    }
  })

  it('checks a URL spelled otherwise (one slash, no path) on its own, never with an earlier verdict', async () => {
    const { fetch: guarded, streamingFetch } = createUpstreamHttp({
      resolver: () => Promise.reject(new Error('must not resolve')),
    })
    for (const f of [guarded, streamingFetch]) {
      // An allowed URL of the same unusual spelling first: its verdict must not stand for the next one.
      await rejection(f(`http:/localhost:1/a`))
      expect(causeOf(await rejection(f('http:/169.254.169.254/b')))).toBeInstanceOf(BlockedAddressError)
      expect(causeOf(await rejection(f('http:/0.0.0.0:1/b')))).toBeInstanceOf(BlockedAddressError)
      await rejection(f(`http://localhost:1?q=/x`))
      expect(causeOf(await rejection(f('http://169.254.169.254?q=/x')))).toBeInstanceOf(BlockedAddressError)
    }
  })

  it('checks the resolved address inside connect, like fetch', async () => {
    const resolver: Resolver = async () => [{ address: '169.254.169.254', family: 4 }]
    const { streamingFetch } = createUpstreamHttp({ resolver })
    const err = await rejection(streamingFetch(`http://rebind.test:${new URL(upstream.origin).port}/v1/models`))
    expect(err).toBeInstanceOf(BlockedAddressError)
  })

  it('hands a 2xx body over as a Node stream, with the headers', async () => {
    const { streamingFetch } = createUpstreamHttp()
    const res = await streamingFetch(`${upstream.url}/chat/completions`, {
      method: 'POST',
      headers: new Headers({ 'content-type': 'application/json' }),
      body: JSON.stringify({ model: 'text:2:0', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/event-stream')
    expect(res.body).toBeNull()
    const body = nodeBodyOf(res)!
    let text = ''
    for await (const chunk of body) text += String(chunk)
    expect(text).toContain('data: [DONE]')
  })

  it('reads an error answer whole, for the SDK to classify', async () => {
    const { streamingFetch } = createUpstreamHttp()
    const res = await streamingFetch(`${upstream.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fault:401', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    })
    expect(res.status).toBe(401)
    expect(nodeBodyOf(res)).toBeUndefined()
    expect((await res.json()) as unknown).toMatchObject({ error: { code: 'invalid_api_key' } })
  })

  it('never follows a redirect: the 3xx comes back as it is', async () => {
    const hits = redirectHits
    const res = await createUpstreamHttp().streamingFetch(`${redirectorOrigin}/v1/chat/completions`, {
      method: 'POST',
      body: '{}',
    })
    expect(res.status).toBe(302)
    expect(redirectHits).toBe(hits + 1)
  })
})

describe('the streaming path sends the request as written', () => {
  let echo: Server
  let echoPort = 0
  beforeAll(async () => {
    // Answers 400 with what it received, so the answer is read whole.
    echo = createServer((req, res) => {
      req.resume()
      res.writeHead(400, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers }))
    })
    echoPort = await new Promise<number>((resolve) =>
      echo.listen(0, '127.0.0.1', () => resolve((echo.address() as AddressInfo).port)),
    )
  })
  afterAll(async () => {
    echo.closeAllConnections()
    await new Promise<void>((resolve) => echo.close(() => resolve()))
  })

  it('keeps the path and query, and passes headers given as Headers, an object or pairs', async () => {
    const { streamingFetch } = createUpstreamHttp()
    const inits: HeadersInit[] = [
      new Headers({ 'x-one': 'a', authorization: 'Bearer k' }),
      { 'x-one': 'a' },
      [['x-one', 'a']],
    ]
    for (const [i, headers] of inits.entries()) {
      // The same origin each time: its check and parsed origin are kept from the first request.
      const res = await streamingFetch(`http://127.0.0.1:${echoPort}/v1/chat/completions?n=${i}`, {
        method: 'POST',
        headers,
        body: '{}',
      })
      const seen = (await res.json()) as { method: string; url: string; headers: Record<string, string> }
      expect(seen.method).toBe('POST')
      expect(seen.url).toBe(`/v1/chat/completions?n=${i}`)
      expect(seen.headers['x-one']).toBe('a')
      expect(seen.headers.host).toBe(`127.0.0.1:${echoPort}`)
    }
  })
  it('sends a query right after the host, and never a fragment, as URL parsing reads them', async () => {
    const { streamingFetch } = createUpstreamHttp()
    const cases: Array<[string, string]> = [
      [`http://127.0.0.1:${echoPort}?q=/a/b`, '/?q=/a/b'],
      [`http://127.0.0.1:${echoPort}/v1/models#frag`, '/v1/models'],
      [`http://127.0.0.1:${echoPort}`, '/'],
      [`http:/127.0.0.1:${echoPort}/one-slash?x=1`, '/one-slash?x=1'],
    ]
    for (const [url, path] of cases) {
      const seen = (await (await streamingFetch(url, { method: 'POST', body: '{}' })).json()) as { url: string }
      expect(seen.url).toBe(path)
    }
  })
})

describe('upstream calls through the app', () => {
  let juxta: RunningJuxta
  let rebound: RunningJuxta

  beforeAll(async () => {
    upstream.script('m', { kind: 'text', deltas: ['ok'] })
    const port = new URL(upstream.origin).port
    juxta = await startJuxta({
      config: fakeConfig({
        meta: { base_url: 'http://169.254.169.254/v1', models: ['m'] },
        mapped: { base_url: 'http://[::ffff:169.254.169.254]/v1', models: ['m'] },
        moved: { base_url: `${redirectorOrigin}/v1`, models: ['m'] },
      }),
    })
    // The same app with a resolver that answers like a rebinding DNS server.
    rebound = await startJuxta({
      config: fakeConfig({
        rebind: { base_url: `http://rebind.test:${port}/v1`, models: ['m'] },
        honest: { base_url: `http://honest.test:${port}/v1`, models: ['m'] },
      }),
      fetch: createGuardedFetch({
        resolver: async (host) => [{ address: host === 'rebind.test' ? '169.254.169.254' : '127.0.0.1', family: 4 }],
      }),
    })
  })

  afterAll(async () => {
    await juxta?.close()
    await rebound?.close()
  })

  it('fails only the column whose base URL names a metadata address, with a clear reason', async () => {
    const res = await postCompare(juxta.url, { prompt: 'hi', targets: ['meta/m', 'mapped/m'] })
    expect(res.status).toBe(200)
    for (const r of res.body.results) {
      expect(r.status).toBe('error')
      expect(r.error!.message).toMatch(/refused to connect/)
    }
  })

  it('never follows a redirect to the metadata service', async () => {
    const hits = redirectHits
    const res = await postCompare(juxta.url, { prompt: 'hi', targets: ['moved/m'] })
    expect(res.body.results[0]!.status).toBe('error')
    expect(redirectHits).toBe(hits + 1)
  })

  it('refuses a name that resolves to the metadata service at connect time, and sends nothing', async () => {
    const before = upstream.requests.length
    const res = await postCompare(rebound.url, { prompt: 'hi', targets: ['rebind/m', 'honest/m'] })
    const [rebind, honest] = res.body.results
    expect(rebind!.status).toBe('error')
    expect(rebind!.error!.message).toMatch(/169\.254\.169\.254/)
    expect(honest!.status).toBe('ok')
    // Only the honest target reached the server behind both names.
    expect(upstream.requests.slice(before).map((r) => r.headers.host)).toEqual([
      `honest.test:${new URL(upstream.origin).port}`,
    ])
    expect(JSON.stringify(res.body)).not.toContain(TEST_KEY)
  })
})
