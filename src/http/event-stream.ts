import { ServerResponse } from 'node:http'
import type { OutgoingHttpHeaders } from 'node:http'

/** An event stream being answered: events of one event-loop turn leave together, as one socket write. */
export interface EventStream {
  /** `data` is JSON, so it never contains a line break. */
  send(event: string, data: string): void
  /** Writes what is left and ends the response. */
  close(): void
  /** The client left (or the stream ended): nothing sent any more arrives. */
  isClosed(): boolean
}

/**
 * What may wait for a client that stops reading (events held while its socket drains, plus what Node already
 * buffers) before it counts as gone. Juxta keeps reading its upstreams at their own pace whatever the client
 * does (pausing them would distort the timings it measures), so a client that reads nothing for that long is cut
 * as if it had left. A client that reads is never cut, whatever the size of one event (a `done` event carries
 * every answer in full).
 */
export const MAX_UNSENT_CHARS = 16 * 1024 * 1024

/** How long the end of a stream may wait for a client that stopped reading before its connection is closed. */
export const END_GRACE_MS = 60_000

export const EVENT_STREAM_HEADERS: ReadonlyArray<[string, string]> = [
  ['Content-Type', 'text/event-stream'],
  // Answers are private: kept by no cache (the app's rule for every other response too).
  ['Cache-Control', 'no-store'],
  ['Connection', 'keep-alive'],
  ['X-Accel-Buffering', 'no'],
]

/**
 * The event stream written straight to Node's response: no web ReadableStream for `@hono/node-server` to read
 * back, no encoder copy (`npm run bench`, CPU per relayed token). `headers` are the whole response's, the
 * security headers included, since the response bypasses Hono's. A full socket buffer holds further events
 * until it drains, up to MAX_UNSENT_CHARS; the response's close before its end is the client leaving.
 */
export function nodeEventStream(
  res: ServerResponse,
  headers: OutgoingHttpHeaders,
  onGone: () => void,
  limits: { maxUnsent?: number; endGraceMs?: number } = {},
): EventStream {
  const maxUnsent = limits.maxUnsent ?? MAX_UNSENT_CHARS
  let pending = ''
  let scheduled = false
  let draining = false
  let closed = false
  const gone = () => {
    if (closed) return
    closed = true
    pending = ''
    onGone()
  }
  // A client that left while the request was still being read (its close already emitted) is gone all the same.
  if (res.destroyed || !res.socket || res.socket.destroyed) queueMicrotask(gone)
  res.once('close', () => {
    if (!res.writableFinished) gone()
  })
  // Chunked from the start, and sent with the first events.
  res.writeHead(200, { ...headers, 'transfer-encoding': 'chunked' })
  const flush = () => {
    scheduled = false
    if (closed || draining || !pending) return
    const chunk = pending
    pending = ''
    if (!res.write(chunk)) {
      draining = true
      res.once('drain', () => {
        draining = false
        flush()
      })
    }
  }
  return {
    isClosed: () => closed,
    send(event, data) {
      if (closed) return
      pending += `event: ${event}\ndata: ${data}\n\n`
      if (draining && pending.length + res.writableLength > maxUnsent) {
        res.destroy()
        return gone()
      }
      if (!scheduled && !draining) {
        scheduled = true
        setImmediate(flush)
      }
    },
    close() {
      if (closed) return
      closed = true
      const rest = pending
      pending = ''
      if (res.destroyed) return
      res.end(rest)
      // Nothing else times out a client that stopped reading: its socket and what is buffered for it go then.
      if (!res.writableFinished) {
        const timer = setTimeout(() => res.destroy(), limits.endGraceMs ?? END_GRACE_MS)
        timer.unref()
        res.once('close', () => clearTimeout(timer))
      }
    },
  }
}

/**
 * The same stream as a web ReadableStream, for a response not served by `@hono/node-server` (`app.request()`).
 * Hono's streamSSE cost a writer, a TransformStream and a write per event.
 */
export function webEventStream(onCancel: () => void): EventStream & { body: ReadableStream<Uint8Array> } {
  const encoder = new TextEncoder()
  let output!: ReadableStreamDefaultController<Uint8Array>
  let pending = ''
  let scheduled = false
  let closed = false
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      output = controller
    },
    cancel() {
      closed = true
      onCancel()
    },
  })
  const flush = () => {
    scheduled = false
    if (closed || !pending) return
    const chunk = pending
    pending = ''
    output.enqueue(encoder.encode(chunk))
  }
  return {
    body,
    isClosed: () => closed,
    send(event, data) {
      if (closed) return
      pending += `event: ${event}\ndata: ${data}\n\n`
      if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    },
    close() {
      if (closed) return
      flush()
      closed = true
      output.close()
    },
  }
}

/** The Node response behind a request served by `@hono/node-server`, if it is one (HTTP/1). */
export function nodeResponseOf(env: unknown): ServerResponse | undefined {
  const outgoing = (env as { outgoing?: unknown } | undefined)?.outgoing
  return outgoing instanceof ServerResponse ? outgoing : undefined
}
