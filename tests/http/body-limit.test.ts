import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bodyLimits } from '../../src/http/body-limit.ts'

let server: ServerType
let port = 0

beforeAll(async () => {
  const app = new Hono()
  app.use('*', bodyLimits(64, [{ paths: ['/big'], bytes: 256 }]))
  app.post('*', async (c) => c.json({ got: await c.req.json() }))
  app.get('*', (c) => c.text('ok'))
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve())
  })
  port = (server.address() as AddressInfo).port
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

/** POSTs `chunks` with a declared length (their sum) or chunked, on a fresh connection. */
function post(path: string, chunks: string[], chunked: boolean): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const length = chunks.reduce((n, c) => n + Buffer.byteLength(c), 0)
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', ...(chunked ? {} : { 'content-length': String(length) }) },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => {
          text += d
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
      },
    )
    // A reset after the 413 (the rest of the body unread) is fine: the answer came first.
    req.on('error', (err) => (err.message.includes('ECONNRESET') ? undefined : reject(err)))
    for (const c of chunks) req.write(c)
    req.end()
  })
}

const json = (bytes: number) => JSON.stringify({ pad: 'x'.repeat(bytes - 10) })

describe('bodyLimits on the Node server', () => {
  it('passes a body within the limit to the handler, declared or chunked', async () => {
    for (const chunked of [false, true]) {
      const body = json(60)
      const res = await post('/small', [body.slice(0, 20), body.slice(20)], chunked)
      expect(res.status).toBe(200)
      expect(JSON.parse(res.text).got.pad).toHaveLength(50)
    }
  })

  it('refuses a body over the limit with 413, declared or chunked, and applies the rule of its path', async () => {
    for (const chunked of [false, true]) {
      const res = await post('/small', [json(40), json(40)], chunked)
      expect(res.status).toBe(413)
      expect(res.text).toContain('over 64 bytes')
      const ok = await post('/big', [json(200)], chunked)
      expect(ok.status).toBe(200)
      expect((await post('/big', [json(200), json(200)], chunked)).status).toBe(413)
    }
  })

  it('lets a GET through', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/small`)
    expect(await res.text()).toBe('ok')
  })
})
