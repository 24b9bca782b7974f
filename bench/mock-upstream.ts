import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { performance } from 'node:perf_hooks'

/**
 * How the mock streams one completion. Encoded in the model id (`t<ttft>-n<deltas>-i<interval>-k<tokens>`,
 * optional `-<suffix>`), so Juxta's config lists plain model ids and the mock needs no shared state.
 */
export interface StreamProfile {
  ttftMs: number
  deltas: number
  intervalMs: number
  tokensPerChunk: number
}

/** One "token" of mock text: fixed width, so a reader can count tokens from text length. */
export const TOKEN_TEXT = 'tok '
export const PROMPT_TOKENS = 12

export function modelId(p: StreamProfile, suffix?: string): string {
  return `t${p.ttftMs}-n${p.deltas}-i${p.intervalMs}-k${p.tokensPerChunk}${suffix ? `-${suffix}` : ''}`
}

export function parseModelId(id: string): StreamProfile | undefined {
  const m = /^t(\d+)-n(\d+)-i(\d+)-k(\d+)(?:-[a-z0-9]+)?$/.exec(id)
  if (!m) return undefined
  return { ttftMs: Number(m[1]), deltas: Number(m[2]), intervalMs: Number(m[3]), tokensPerChunk: Number(m[4]) }
}

/** What the mock saw of one upstream request; times are performance.now() of the bench process. */
export interface UpstreamRecord {
  tag: string
  model: string
  openedAt: number
  closedAt: number | null
  /** True when the whole stream was written before the connection closed. */
  completed: boolean
  /** Send time of each content delta, kept only when the prompt contains "#trace". */
  sentAt: number[] | null
}

interface Frames {
  role: Buffer
  content: Buffer
  tail: Buffer
  tailNoUsage: Buffer
}

const BATCH = 256

/**
 * A loopback OpenAI-compatible upstream: role chunk at once, then content deltas on a schedule anchored to
 * the stream start (a late timer sends every frame that is due, so there is no drift), then a finish chunk,
 * a usage chunk when asked for, and `[DONE]`. Frames are serialized once per model.
 */
export class MockUpstream {
  private server: Server | undefined
  private readonly frames = new Map<string, Frames>()
  private readonly sockets = new Set<Socket>()
  private byTag = new Map<string, UpstreamRecord[]>()
  /** Streams currently open. */
  open = 0
  port = 0

  async start(): Promise<string> {
    const server = createServer({ noDelay: true, keepAlive: true }, (req, res) => this.handle(req, res))
    server.keepAliveTimeout = 65_000
    server.headersTimeout = 66_000
    server.maxHeadersCount = 100
    server.on('connection', (s: Socket) => {
      this.sockets.add(s)
      s.on('close', () => this.sockets.delete(s))
    })
    await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve))
    this.server = server
    this.port = (server.address() as AddressInfo).port
    return `http://127.0.0.1:${this.port}/v1`
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve())
  }

  /** Sockets connected to the mock (open streams plus idle keep-alive). */
  get connections(): number {
    return this.sockets.size
  }

  records(tag: string): UpstreamRecord[] {
    return this.byTag.get(tag) ?? []
  }

  /** Forget all records (between phases, so the map stays small). */
  clearRecords(): void {
    this.byTag = new Map()
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}')
      return
    }
    const parts: Buffer[] = []
    req.on('data', (c: Buffer) => parts.push(c))
    req.on('end', () => {
      let body: {
        model?: unknown
        stream?: unknown
        messages?: Array<{ content?: unknown }>
        stream_options?: { include_usage?: unknown }
      }
      try {
        body = JSON.parse(Buffer.concat(parts).toString('utf8'))
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"bad json"}}')
        return
      }
      const model = typeof body.model === 'string' ? body.model : ''
      const profile = parseModelId(model)
      if (!profile || body.stream !== true) {
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end('{"error":{"message":"unknown model or not streaming"}}')
        return
      }
      const last = body.messages?.[body.messages.length - 1]?.content
      const tag = typeof last === 'string' ? last : ''
      this.stream(res, model, profile, tag, body.stream_options?.include_usage === true)
    })
  }

  private framesFor(model: string, p: StreamProfile): Frames {
    let f = this.frames.get(model)
    if (!f) {
      const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => {
        const body = { id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_700_000_000, model, choices }
        return `data: ${JSON.stringify({ ...body, ...extra })}\n\n`
      }
      const completion = p.deltas * p.tokensPerChunk
      const finish = chunk([{ index: 0, delta: {}, finish_reason: 'stop' }])
      const usage = chunk([], {
        usage: {
          prompt_tokens: PROMPT_TOKENS,
          completion_tokens: completion,
          total_tokens: PROMPT_TOKENS + completion,
        },
      })
      f = {
        role: Buffer.from(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }])),
        content: Buffer.from(
          chunk([{ index: 0, delta: { content: TOKEN_TEXT.repeat(p.tokensPerChunk) }, finish_reason: null }]),
        ),
        tail: Buffer.from(`${finish + usage}data: [DONE]\n\n`),
        tailNoUsage: Buffer.from(`${finish}data: [DONE]\n\n`),
      }
      this.frames.set(model, f)
    }
    return f
  }

  private stream(res: ServerResponse, model: string, p: StreamProfile, tag: string, includeUsage: boolean): void {
    const frames = this.framesFor(model, p)
    const t0 = performance.now()
    const rec: UpstreamRecord = {
      tag,
      model,
      openedAt: t0,
      closedAt: null,
      completed: false,
      sentAt: tag.includes('#trace') ? [] : null,
    }
    let list = this.byTag.get(tag)
    if (!list) {
      list = []
      this.byTag.set(tag, list)
    }
    list.push(rec)
    this.open++

    let sent = 0
    let timer: NodeJS.Timeout | undefined
    let closed = false
    res.on('close', () => {
      closed = true
      if (timer) clearTimeout(timer)
      rec.closedAt = performance.now()
      rec.completed = res.writableFinished
      this.open--
    })
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
    res.write(frames.role)

    const finish = () => res.end(includeUsage ? frames.tail : frames.tailNoUsage)
    const writeUpTo = (due: number): boolean => {
      const n = due - sent
      if (n <= 0) return true
      const now = rec.sentAt ? performance.now() : 0
      for (let i = 0; i < n; i++) rec.sentAt?.push(now)
      sent = due
      return res.write(n === 1 ? frames.content : Buffer.concat(Array(n).fill(frames.content)))
    }

    if (p.intervalMs === 0) {
      // Instant: everything after the TTFT as fast as the socket takes it.
      const pump = () => {
        while (!closed && sent < p.deltas) {
          if (!writeUpTo(Math.min(p.deltas, sent + BATCH))) {
            res.once('drain', pump)
            return
          }
        }
        if (!closed) finish()
      }
      if (p.ttftMs === 0) pump()
      else timer = setTimeout(pump, p.ttftMs)
      return
    }

    const tick = () => {
      if (closed) return
      const elapsed = performance.now() - t0
      const due = Math.min(p.deltas, Math.floor((elapsed - p.ttftMs) / p.intervalMs) + 1)
      writeUpTo(due)
      if (sent >= p.deltas) return finish()
      const nextAt = t0 + p.ttftMs + sent * p.intervalMs
      timer = setTimeout(tick, Math.max(0, nextAt - performance.now()))
    }
    if (p.ttftMs === 0) tick()
    else timer = setTimeout(tick, p.ttftMs)
  }
}
