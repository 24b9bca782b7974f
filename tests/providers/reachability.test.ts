import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ReachabilityMonitor, isLocalProvider } from '../../src/providers/reachability.ts'
import { createGuardedFetch } from '../../src/security/guarded-fetch.ts'
import type { ProviderEntry } from '../../src/providers/types.ts'
import { closedLoopbackPort } from '../helpers/ports.ts'

let server: Server
let upURL = ''
let closedURL = ''
let hits = 0

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++
    if (req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'llama3.2', object: 'model' }] }))
    } else {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  upURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`
  closedURL = `http://127.0.0.1:${await closedLoopbackPort()}/v1`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

const local = (id: string, baseURL: string, name = 'Ollama (local)'): ProviderEntry => ({
  id,
  name,
  baseURL,
  pricing: id,
  keyStatus: 'not_needed',
  models: [{ id: 'llama3.2', label: 'llama3.2' }],
})

describe('ReachabilityMonitor', () => {
  it('probes only keyless providers on this machine or network', () => {
    expect(isLocalProvider(local('o', 'http://127.0.0.1:11434/v1'))).toBe(true)
    expect(isLocalProvider(local('lan', 'http://192.168.1.20:8080/v1'))).toBe(true)
    expect(isLocalProvider(local('cloud', 'https://api.openai.com/v1'))).toBe(false)
    expect(isLocalProvider({ ...local('k', 'http://127.0.0.1:1/v1'), keyStatus: 'missing' })).toBe(false)
    expect(isLocalProvider({ ...local('demo', 'http://demo.juxta.internal/demo/v1'), builtin: 'demo' })).toBe(false)
  })

  it('reports a loopback server that answers as reachable, through the guarded fetch', async () => {
    const monitor = new ReachabilityMonitor({ fetch: createGuardedFetch() })
    const p = local('up', upURL)
    const before = hits
    const all = await monitor.settle([p], { maxWaitMs: 5000 })
    expect(all.up).toMatchObject({ reachable: true, reason: null })
    expect(hits).toBe(before + 1)
  })

  it('reports a closed port as unreachable, with the address, what to start and why', async () => {
    const monitor = new ReachabilityMonitor({ fetch: createGuardedFetch() })
    const r = await monitor.check(local('ollama', closedURL))
    expect(r.reachable).toBe(false)
    expect(r.reason).toBe(
      `not reachable at ${new URL(closedURL).origin} — start Ollama (connection failed: ECONNREFUSED)`,
    )
  })

  it('counts any HTTP answer as reachable, even a 404 for /models', async () => {
    const monitor = new ReachabilityMonitor({ fetch: createGuardedFetch() })
    const r = await monitor.check(local('odd', upURL.replace(/\/v1$/, '/other')))
    expect(r).toMatchObject({ reachable: true, reason: null })
  })

  it('answers from its cache until the entry expires, then checks again in the background', async () => {
    let now = 1_000_000
    let calls = 0
    const counting: typeof fetch = (input, init) => {
      calls++
      return fetch(input, init)
    }
    const monitor = new ReachabilityMonitor({ fetch: counting, now: () => now, ttlMs: 20_000 })
    const p = local('up', upURL)
    // Nothing known yet: "not checked", and a check starts without blocking.
    expect(monitor.status(p)).toEqual({ reachable: null, reason: null, checkedAt: null })
    expect((await monitor.settle([p], { maxWaitMs: 5000 })).up).toEqual({
      reachable: true,
      reason: null,
      checkedAt: 1_000_000,
    })
    expect(calls).toBe(1)

    now += 19_999
    expect(monitor.status(p).reachable).toBe(true)
    await monitor.settle([p], { maxWaitMs: 5000 })
    expect(calls).toBe(1)

    // Expired: the stale answer is still given at once while a new check runs.
    now += 1
    expect(monitor.status(p)).toEqual({ reachable: true, reason: null, checkedAt: 1_000_000 })
    const after = await monitor.settle([p], { maxWaitMs: 5000 })
    expect(calls).toBe(2)
    expect(after.up!.checkedAt).toBe(1_020_000)
  })

  it('turns reachable into unreachable when the server goes away and the entry expires', async () => {
    let now = 0
    let target = upURL
    // The same provider entry each time; the fetch is pointed elsewhere to simulate the server stopping.
    const redirecting: typeof fetch = (input, init) =>
      fetch(String(input instanceof Request ? input.url : input).replace(upURL, target), init)
    const monitor = new ReachabilityMonitor({ fetch: redirecting, now: () => now, ttlMs: 15_000 })
    const p = local('o', upURL)
    expect((await monitor.check(p)).reachable).toBe(true)
    target = closedURL
    now = 15_000
    expect(monitor.status(p).reachable).toBe(true)
    expect((await monitor.settle([p], { maxWaitMs: 5000 })).o!.reachable).toBe(false)
  })

  it('never waits longer than asked for a first answer, and joins the check already running', async () => {
    let release: () => void = () => {}
    let calls = 0
    const hanging: typeof fetch = (input, init) => {
      calls++
      return new Promise<void>((resolve) => {
        release = resolve
      }).then(() => fetch(input, init))
    }
    const monitor = new ReachabilityMonitor({ fetch: hanging })
    const p = local('slow', upURL)
    const first = await monitor.settle([p], { maxWaitMs: 20 })
    expect(first.slow).toEqual({ reachable: null, reason: null, checkedAt: null })
    const forced = monitor.check(p)
    expect(calls).toBe(1)
    release()
    expect((await forced).reachable).toBe(true)
  })

  it('does not probe cloud providers at all', async () => {
    let calls = 0
    const monitor = new ReachabilityMonitor({
      fetch: () => {
        calls++
        return Promise.reject(new Error('no'))
      },
    })
    const cloud: ProviderEntry = {
      ...local('openai', 'https://api.openai.com/v1', 'OpenAI'),
      keyStatus: 'env',
      apiKey: 'sk-x',
    }
    expect((await monitor.settle([cloud], { maxWaitMs: 1000 })).openai).toEqual({
      reachable: null,
      reason: null,
      checkedAt: null,
    })
    expect(monitor.status(cloud).reachable).toBeNull()
    expect(calls).toBe(0)
  })
})
