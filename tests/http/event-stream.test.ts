import { afterEach, describe, expect, it } from 'vitest'
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { once } from 'node:events'
import { type EventStream, nodeEventStream, webEventStream } from '../../src/http/event-stream.ts'

// The API's event stream, written straight to a real Node response on loopback (and as a web stream).

let server: Server | null = null

afterEach(async () => {
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve) ?? resolve(null))
  server = null
})

/** A loopback server whose one request is answered by `handle`; resolves with the client's response. */
async function serveOne(
  handle: (res: ServerResponse) => void,
): Promise<{ response: IncomingMessage; clientGone: () => void }> {
  server = createServer((_req, res) => handle(res))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  const req = request({ host: '127.0.0.1', port, path: '/', method: 'GET' })
  req.end()
  const [response] = (await once(req, 'response')) as [IncomingMessage]
  return { response, clientGone: () => req.destroy() }
}

async function readAll(response: IncomingMessage): Promise<string> {
  let text = ''
  response.setEncoding('utf8')
  for await (const chunk of response) text += chunk
  return text
}

describe('nodeEventStream', () => {
  it('sends the given headers and every event in order, then ends', async () => {
    let stream!: EventStream
    const { response } = await serveOne((res) => {
      stream = nodeEventStream(res, { 'content-type': 'text/event-stream', 'x-test': 'kept' }, () => {})
      stream.send('run', '{"n":0}')
      setTimeout(() => {
        for (let n = 1; n <= 3; n++) stream.send('delta', `{"n":${n}}`)
        stream.send('done', '{"text":"é ✓"}')
        stream.close()
      }, 5)
    })
    expect(response.statusCode).toBe(200)
    expect(response.headers['x-test']).toBe('kept')
    expect(response.headers['content-type']).toBe('text/event-stream')
    expect(response.headers['transfer-encoding']).toBe('chunked')
    const text = await readAll(response)
    expect(text).toBe(
      'event: run\ndata: {"n":0}\n\n' +
        'event: delta\ndata: {"n":1}\n\nevent: delta\ndata: {"n":2}\n\nevent: delta\ndata: {"n":3}\n\n' +
        'event: done\ndata: {"text":"é ✓"}\n\n',
    )
    expect(stream.isClosed()).toBe(true)
  })

  it('reports a client that leaves once, and sends nothing after', async () => {
    let gone = 0
    let stream!: EventStream
    let closed!: Promise<unknown>
    const { response, clientGone } = await serveOne((res) => {
      closed = once(res, 'close')
      stream = nodeEventStream(res, {}, () => gone++)
      stream.send('run', '{}')
    })
    await once(response, 'data')
    clientGone()
    await closed
    expect(gone).toBe(1)
    expect(stream.isClosed()).toBe(true)
    stream.send('delta', '{}')
    stream.close()
    expect(gone).toBe(1)
  })

  it('holds events while the socket is full and cuts a client that reads nothing past the limit', async () => {
    let gone = 0
    let stream!: EventStream
    let res!: ServerResponse
    const { response } = await serveOne((r) => {
      res = r
      stream = nodeEventStream(r, {}, () => gone++, { maxUnsent: 256 * 1024 })
      stream.send('run', '{}')
    })
    response.pause()
    // The socket and the client's buffers fill up; then the unsent events grow to the limit.
    const data = JSON.stringify('x'.repeat(1000))
    for (let i = 0; i < 10_000 && !stream.isClosed(); i++) {
      stream.send('delta', data)
      if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    expect(gone).toBe(1)
    expect(stream.isClosed()).toBe(true)
    expect(res.destroyed).toBe(true)
  })

  it('never cuts a client that reads, whatever the size of one event', async () => {
    let gone = 0
    let stream!: EventStream
    const { response } = await serveOne((r) => {
      stream = nodeEventStream(r, {}, () => gone++, { maxUnsent: 64 * 1024 })
      stream.send('run', '{}')
      // One event four times the limit (a `done` event carries every answer whole).
      stream.send('done', JSON.stringify('z'.repeat(256 * 1024)))
      stream.close()
    })
    const text = await readAll(response)
    expect(gone).toBe(0)
    expect(text.endsWith(`"\n\n`)).toBe(true)
    expect(text.length).toBeGreaterThan(256 * 1024)
  })

  it('reports a client that left before the stream began', async () => {
    let gone = 0
    const left = new Promise<void>((resolve) => {
      server = createServer((req, res) => {
        // The client is gone by the time the handler answers (a slow check of its token, a busy loop).
        req.socket.destroy()
        setTimeout(() => {
          nodeEventStream(res, {}, () => gone++).send('run', '{}')
          setTimeout(resolve, 20)
        }, 20)
      })
    })
    const listening = server!
    listening.listen(0, '127.0.0.1')
    await once(listening, 'listening')
    const { port } = listening.address() as AddressInfo
    const req = request({ host: '127.0.0.1', port, path: '/', method: 'GET' })
    req.on('error', () => {})
    req.end()
    await left
    expect(gone).toBe(1)
  })

  it('closes the connection of a client that stopped reading once the end has waited its grace', async () => {
    let res!: ServerResponse
    const { response } = await serveOne((r) => {
      res = r
      const stream = nodeEventStream(r, {}, () => {}, { endGraceMs: 50 })
      stream.send('run', '{}')
      // More than the kernel's socket buffers on loopback and the client's own can take.
      stream.send('done', JSON.stringify('w'.repeat(32 * 1024 * 1024)))
      setImmediate(() => stream.close())
    })
    let received = 0
    let error: Error | null = null
    response.on('error', (err) => {
      error = err
    })
    const clientClosed = new Promise((resolve) => response.once('close', resolve))
    response.pause()
    await once(res, 'close')
    // The client gets what was buffered for it, then the connection ends short of the message's end.
    response.on('data', (chunk: Buffer) => {
      received += chunk.length
    })
    response.resume()
    await clientClosed
    expect(response.complete).toBe(false)
    expect(String(error)).toContain('aborted')
    expect(received).toBeLessThan(32 * 1024 * 1024)
  })

  it('a slow client that drains gets every event', async () => {
    let stream!: EventStream
    let res!: ServerResponse
    const { response } = await serveOne((r) => {
      res = r
      stream = nodeEventStream(r, {}, () => {})
      stream.send('run', '{}')
    })
    response.pause()
    const data = JSON.stringify('y'.repeat(20_000))
    const turn = () => new Promise((resolve) => setImmediate(resolve))
    // Until the socket refuses more (the client reads nothing yet): events from then on wait for its drain.
    let sent = 0
    while (!res.writableNeedDrain && sent < 5000) {
      stream.send('delta', data)
      sent++
      if (sent % 20 === 0) await turn()
    }
    expect(res.writableNeedDrain).toBe(true)
    const reading = readAll(response)
    for (let i = 0; i < 200; i++) {
      stream.send('delta', data)
      sent++
      if (i % 20 === 0) await turn()
    }
    stream.close()
    const text = await reading
    expect(text.split('event: delta\n').length - 1).toBe(sent)
    expect(text.endsWith(`data: ${data}\n\n`)).toBe(true)
  })
})

describe('webEventStream', () => {
  it('sends every event of a turn as one chunk and closes', async () => {
    const stream = webEventStream(() => {})
    stream.send('a', '1')
    stream.send('b', '2')
    const reader = stream.body.getReader()
    const first = await reader.read()
    expect(new TextDecoder().decode(first.value)).toBe('event: a\ndata: 1\n\nevent: b\ndata: 2\n\n')
    stream.send('c', '3')
    stream.close()
    const second = await reader.read()
    expect(new TextDecoder().decode(second.value)).toBe('event: c\ndata: 3\n\n')
    expect((await reader.read()).done).toBe(true)
  })

  it('a cancelled body is a client gone', async () => {
    let gone = 0
    const stream = webEventStream(() => gone++)
    await stream.body.cancel()
    expect(gone).toBe(1)
    expect(stream.isClosed()).toBe(true)
  })
})
