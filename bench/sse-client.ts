import { Agent, request, type ClientRequest } from 'node:http'
import { performance } from 'node:perf_hooks'

/** One keep-alive pool per target server, no socket cap: the bench opens thousands of streams at once. */
export function newAgent(): Agent {
  return new Agent({
    keepAlive: true,
    maxSockets: Infinity,
    maxFreeSockets: 64,
    noDelay: true,
  } as ConstructorParameters<typeof Agent>[0])
}

export interface SseOutcome {
  status: number
  contentType: string
  startedAt: number
  headersAt: number | null
  endedAt: number
  bytes: number
  error: string | null
}

export interface SseHandle {
  startedAt: number
  done: Promise<SseOutcome>
  /** Drops the connection the way a closed browser tab does. Returns the time it happened. */
  disconnect(): number
}

/**
 * POSTs a body and reads an event-stream with a linear `\n\n` splitter: the cheapest honest reader, so the
 * load generator costs far less per event than the relay it measures. `onEvent` gets the arrival time of
 * the socket read that completed the event.
 */
export function postSse(
  agent: Agent,
  port: number,
  path: string,
  body: string,
  contentType: string,
  onEvent: (event: string, data: string, at: number) => void,
  extraHeaders: Record<string, string> = {},
): SseHandle {
  const startedAt = performance.now()
  let req: ClientRequest
  const done = new Promise<SseOutcome>((resolve) => {
    const out: SseOutcome = {
      status: 0,
      contentType: '',
      startedAt,
      headersAt: null,
      endedAt: 0,
      bytes: 0,
      error: null,
    }
    let settled = false
    const settle = (error: string | null) => {
      if (settled) return
      settled = true
      out.endedAt = performance.now()
      out.error = error
      resolve(out)
    }
    req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: {
          accept: 'text/event-stream',
          ...extraHeaders,
          'content-type': contentType,
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        out.headersAt = performance.now()
        out.status = res.statusCode ?? 0
        out.contentType = String(res.headers['content-type'] ?? '')
        res.setEncoding('utf8')
        let buf = ''
        res.on('data', (chunk: string) => {
          const at = performance.now()
          out.bytes += Buffer.byteLength(chunk)
          buf += chunk
          let from = 0
          for (;;) {
            const end = buf.indexOf('\n\n', from)
            if (end < 0) break
            dispatch(buf, from, end, at, onEvent)
            from = end + 2
          }
          if (from > 0) buf = buf.slice(from)
        })
        res.on('end', () => settle(null))
        res.on('error', (e) => settle(e.message))
        res.on('close', () => settle(res.complete ? null : 'closed before the end'))
      },
    )
    req.on('error', (e) => settle(e.message))
    req.end(body)
  })
  return {
    startedAt,
    done,
    disconnect() {
      const at = performance.now()
      req.destroy()
      return at
    },
  }
}

function dispatch(
  buf: string,
  from: number,
  end: number,
  at: number,
  onEvent: (event: string, data: string, at: number) => void,
): void {
  let event = 'message'
  let data = ''
  let pos = from
  while (pos < end) {
    let nl = buf.indexOf('\n', pos)
    if (nl < 0 || nl > end) nl = end
    if (buf.startsWith('data:', pos)) {
      const v = buf.slice(pos + (buf.charCodeAt(pos + 5) === 32 ? 6 : 5), nl)
      data = data ? `${data}\n${v}` : v
    } else if (buf.startsWith('event:', pos)) {
      event = buf.slice(pos + (buf.charCodeAt(pos + 6) === 32 ? 7 : 6), nl)
    }
    pos = nl + 1
  }
  if (data || event !== 'message') onEvent(event, data, at)
}
