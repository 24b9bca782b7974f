import { readFileSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { resolve } from 'node:path'

/**
 * A loopback OpenAI-compatible upstream for tests and benchmarks: a real node:http server on 127.0.0.1:0
 * serving `POST …/chat/completions`, scripted per model (see `scenarioForModel` for the names it knows and
 * `FakeUpstream.script` to register others). Records every request and every client disconnect.
 */

/**
 * The recorded fixtures: unedited copies in `tests/fixtures`, each with its provenance in SOURCES.md there.
 * Only the repository's own copy is read, so a plain clone replays exactly what was reviewed.
 */
export const FIXTURES_DIR = resolve(import.meta.dirname, '../fixtures')

/**
 * Every recorded fixture the tests may serve or read. `readFixture` refuses any other name, and
 * `tests/helpers/fake-upstream-fixtures.test.ts` checks each one is in `tests/fixtures` and listed in SOURCES.md.
 */
export const RECORDED_FIXTURES: readonly string[] = [
  'deepseek-chat_nonstream_length_2025-12.json',
  'deepseek-chat_stream_length_2025-12.chunks.jsonl',
  'deepseek-reasoner_nonstream_2025-12.json',
  'deepseek-reasoner_nonstream_cache-hit_2025-12.json',
  'deepseek-reasoner_stream_usage_2025-07.sse',
  'deepseek_402_insufficient-balance.json',
  'groq_gpt-oss-120b_stream_x_groq-usage.sse',
  'groq_llama-3.3-70b_nonstream.json',
  'llamacpp_gpt-oss-20b_final-chunk_usage-timings_b6097.json',
  'ollama_qwen3-0.6b_nonstream_reasoning-field.json',
  'openai_400_unsupported-parameter.json',
  'openai_gpt-4.1-nano_nonstream.json',
  'openai_gpt-4o-mini_stream_include-usage.sse',
  'openai_o3-mini_nonstream_reasoning-tokens.json',
  'openrouter_429_upstream-rate-limited.json',
  'openrouter_claude_stream_reasoning_processing-comments_cost.sse',
  'openrouter_gpt-5-mini_nonstream_usage-include_cost.json',
]

export function fixturePath(file: string): string {
  // A name outside the list would be a fixture nobody recorded provenance for, or a path escaping the directory.
  if (!RECORDED_FIXTURES.includes(file)) {
    throw new Error(`not a recorded fixture: ${file} (see tests/fixtures/SOURCES.md)`)
  }
  return resolve(FIXTURES_DIR, file)
}

export function readFixture(file: string): Buffer {
  return readFileSync(fixturePath(file))
}

/** The HTTP status each recorded error body was served with (the files hold only the body). */
export const FIXTURE_STATUS: Readonly<Record<string, number>> = {
  'deepseek_402_insufficient-balance.json': 402,
  'openai_400_unsupported-parameter.json': 400,
  'openrouter_429_upstream-rate-limited.json': 429,
}

/** The fields of a chat-completions request body that tests read; any other key is `unknown`. */
export interface ChatRequestBody {
  model?: string
  messages: Array<{ role: string; content: string }>
  max_tokens?: number
  max_completion_tokens?: number
  stream_options?: { include_usage?: boolean }
  [key: string]: unknown
}

export interface RecordedRequest {
  method: string
  /** Path and query as received, e.g. `/v1/chat/completions`. */
  path: string
  headers: IncomingHttpHeaders
  /**
   * Parsed JSON body. Typed as the chat request the SDK sends, which is what tests read; a body that was not
   * JSON is kept as its raw text (undefined when empty), so reading its fields gives undefined.
   */
  body: ChatRequestBody
  /** `body.model` when present. */
  model: string | undefined
  /** performance.now() when the request arrived, and when its response closed (null while open). */
  receivedAt: number
  closedAt: number | null
  /** True when the client went away before the response was complete. */
  aborted: boolean
}

/** Where a paced text stream puts its usage. */
export type UsagePlacement =
  /** A separate `choices: []` chunk after the finish chunk (OpenAI); sent only if the request asked for it. */
  | 'choices-empty'
  /** On the chunk carrying `finish_reason` (DeepSeek, Groq, Mistral). */
  | 'finish-chunk'
  /** On a later chunk with a non-empty `choices` and `finish_reason: null` (OpenRouter). */
  | 'after-finish'
  | 'none'

export interface TextStreamScenario {
  kind: 'text'
  /** Answer deltas, or how many numbered word deltas to generate. Default 5. */
  deltas?: string[] | number
  /** Reasoning deltas sent before the answer, or how many to generate. Default none. */
  reasoning?: string[] | number
  /** Field carrying reasoning in a delta. Default `reasoning_content` (DeepSeek). */
  reasoningField?: 'reasoning_content' | 'reasoning'
  /** Wait between two deltas. Default 0. */
  everyMs?: number
  /** Wait after the headers (and after keep-alives) before the first delta. Default 0. */
  firstDelayMs?: number
  /** Wait before the first answer delta, after the reasoning. Default `everyMs`. */
  answerDelayMs?: number
  /** SSE comments sent before the first delta. */
  keepAlive?: { count: number; everyMs: number; comment?: string }
  /** Default `choices-empty`. */
  usage?: UsagePlacement
  /** The wire `usage` object; by default prompt 11, completion = deltas + reasoning deltas (one token each). */
  usageBody?: Record<string, unknown>
  /** Model id reported in the chunks. Default: the requested one. */
  model?: string
  /** Default `stop`. */
  finishReason?: string
}

export interface StatusScenario {
  kind: 'status'
  status: number
  /** JSON-serialised unless a string. Default: an OpenAI-style error object. */
  body?: unknown
  headers?: Record<string, string>
}

/** 401 whose message echoes the key it received, as real upstreams do ("Incorrect API key provided: sk-…"). */
export interface AuthEchoScenario {
  kind: 'auth-echo'
}

export interface MalformedJsonScenario {
  kind: 'malformed-json'
  /** Good deltas before the broken `data:` line. Default 2. */
  after?: number
}

export interface StreamErrorScenario {
  kind: 'stream-error'
  /** `openrouter`: a `data:` chunk with an `error` key, then [DONE]. `groq`: `event: error`, no [DONE]. */
  style: 'openrouter' | 'groq'
  /** Good deltas before the error. Default 3. */
  after?: number
}

export interface ResetScenario {
  kind: 'reset'
  /** Deltas sent before the socket is destroyed. Default 10. */
  after?: number
  everyMs?: number
}

/** Response headers, then nothing at all. */
export interface SilenceScenario {
  kind: 'silence'
}

export interface EndlessScenario {
  kind: 'endless'
  /** `ping`: `: ping` comments forever; `deltas`: one word delta per tick forever. */
  mode: 'ping' | 'deltas'
  everyMs?: number
}

/**
 * 400 naming `stream_options` whenever the request has it (older local servers), else `otherwise`. (Not `then`:
 * an object with a `then` key is one function away from being awaited as a thenable.)
 */
export interface RejectStreamOptionsScenario {
  kind: 'reject-stream-options'
  otherwise?: Scenario
}

/** One `data:` line whose content is `bytes` long (default 10 MiB), then a normal finish and usage. */
export interface HugeChunkScenario {
  kind: 'huge-chunk'
  bytes?: number
}

export interface FixtureScenario {
  kind: 'fixture'
  /** File name in the fixtures directory. */
  file: string
  /** Default: FIXTURE_STATUS[file] ?? 200. */
  status?: number
  /**
   * `verbatim` serves the file's bytes (`.sse` as event-stream, `.json` as JSON). `chunks` wraps every line
   * as `data: <line>\n\n` and appends `data: [DONE]\n\n`. Default: `chunks` for `.jsonl`, else `verbatim`.
   */
  mode?: 'verbatim' | 'chunks'
  /** Wait between two SSE events of a streamed fixture. Default 0 (one write). */
  everyMs?: number
}

/** Frames written verbatim, for synthesized formats. */
export interface RawScenario {
  kind: 'raw'
  status?: number
  headers?: Record<string, string>
  frames: Array<string | { delayMs: number }>
  /** `end` (default) finishes the response; `reset` destroys the socket; `hang` keeps it open. */
  end?: 'end' | 'reset' | 'hang'
}

/** The nth request for the model gets `steps[n]`; the last step repeats. */
export interface SequenceScenario {
  kind: 'sequence'
  steps: Scenario[]
}

export type Scenario =
  | TextStreamScenario
  | StatusScenario
  | AuthEchoScenario
  | MalformedJsonScenario
  | StreamErrorScenario
  | ResetScenario
  | SilenceScenario
  | EndlessScenario
  | RejectStreamOptionsScenario
  | HugeChunkScenario
  | FixtureScenario
  | RawScenario
  | SequenceScenario

export interface FakeUpstream {
  /** Base URL including `/v1`, for a provider's `base_url`. */
  readonly url: string
  /** `http://127.0.0.1:<port>`; any path ending in `/chat/completions` is served. */
  readonly origin: string
  readonly requests: RecordedRequest[]
  /** Client disconnects seen before a response was complete. */
  readonly aborts: number
  /** Open TCP connections, idle pooled ones included (undici may open a spare one after an abort). */
  openConnections(): number
  /** Requests whose response is still open. */
  activeRequests(): number
  /** Registers a scenario for a model id; it wins over the model-name conventions. */
  script(model: string, scenario: Scenario): void
  /** Requests seen for one model. */
  requestsFor(model: string): RecordedRequest[]
  close(): Promise<void>
}

const ANSWER_WORDS = ['Alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet']

/** Deterministic word deltas: " w1", " w2", … (the first has no leading space). */
export function words(n: number, prefix = 'w'): string[] {
  return Array.from({ length: n }, (_, i) => `${i === 0 ? '' : ' '}${prefix}${i + 1}`)
}

/** One SSE `data:` frame. */
export function sseData(payload: unknown): string {
  return `data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`
}

export const DONE_FRAME = 'data: [DONE]\n\n'

/** A `chat.completion.chunk` with one choice (or the given `choices`), as a JSON object. */
export function chunk(
  model: string,
  delta: Record<string, unknown> | null,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: 1_760_000_000,
    model,
    choices: delta === null ? [] : [{ index: 0, delta, logprobs: null, finish_reason: null }],
    ...extra,
  }
}

/** A finish chunk: empty delta and `finish_reason`. */
export function finishChunk(
  model: string,
  reason = 'stop',
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { ...chunk(model, null), choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: reason }], ...extra }
}

/**
 * Scenarios reachable by model name, so a config alone can script an upstream:
 * `fixture:<file>`, `text`, `text:<n>`, `text:<n>:<everyMs>`, `fault:401` (echoes the key), `fault:402`,
 * `fault:429` (Retry-After: 1), `fault:500`, `fault:503`, `fault:malformed-json`, `fault:stream-error-openrouter`,
 * `fault:stream-error-groq`, `fault:reset` (after 10 tokens), `fault:silence`, `fault:endless-ping`,
 * `fault:endless-deltas`, `fault:keepalive` (comments for ~150 ms, then text), `fault:no-stream-options`,
 * `fault:huge` (10 MiB chunk).
 */
export function scenarioForModel(model: string): Scenario | undefined {
  if (model.startsWith('fixture:')) return { kind: 'fixture', file: model.slice('fixture:'.length) }
  const text = /^text(?::(\d+))?(?::(\d+))?$/.exec(model)
  if (text) return { kind: 'text', deltas: Number(text[1] ?? 5), everyMs: Number(text[2] ?? 0) }
  switch (model) {
    case 'fault:401':
      return { kind: 'auth-echo' }
    case 'fault:402':
      return { kind: 'fixture', file: 'deepseek_402_insufficient-balance.json' }
    case 'fault:429':
      return rateLimited(1)
    case 'fault:500':
      return {
        kind: 'status',
        status: 500,
        body: openAIError('The server had an error while processing your request.', 'server_error'),
      }
    case 'fault:503':
      return {
        kind: 'status',
        status: 503,
        body: openAIError('Service Unavailable: the server is overloaded.', 'server_error'),
      }
    case 'fault:malformed-json':
      return { kind: 'malformed-json' }
    case 'fault:stream-error-openrouter':
      return { kind: 'stream-error', style: 'openrouter' }
    case 'fault:stream-error-groq':
      return { kind: 'stream-error', style: 'groq' }
    case 'fault:reset':
      return { kind: 'reset', after: 10 }
    case 'fault:silence':
      return { kind: 'silence' }
    case 'fault:endless-ping':
      return { kind: 'endless', mode: 'ping' }
    case 'fault:endless-deltas':
      return { kind: 'endless', mode: 'deltas' }
    case 'fault:keepalive':
      return { kind: 'text', keepAlive: { count: 5, everyMs: 30, comment: 'keep-alive' }, deltas: 5 }
    case 'fault:no-stream-options':
      return { kind: 'reject-stream-options' }
    case 'fault:huge':
      return { kind: 'huge-chunk' }
  }
  return undefined
}

export function openAIError(
  message: string,
  type = 'invalid_request_error',
  code: string | null = null,
  param: string | null = null,
) {
  return { error: { message, type, param, code } }
}

export function rateLimited(retryAfterSeconds: number | string): StatusScenario {
  return {
    kind: 'status',
    status: 429,
    headers: { 'retry-after': String(retryAfterSeconds) },
    body: openAIError('Rate limit reached for requests. Please try again later.', 'requests', 'rate_limit_exceeded'),
  }
}

/** The wire usage a text scenario reports by default. */
export function defaultUsage(answerDeltas: number, reasoningDeltas: number): Record<string, unknown> {
  const completion = answerDeltas + reasoningDeltas
  return {
    prompt_tokens: 11,
    completion_tokens: completion,
    total_tokens: 11 + completion,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: reasoningDeltas },
  }
}

interface Live {
  req: IncomingMessage
  res: ServerResponse
  record: RecordedRequest
  /** Resolves after `ms`, or rejects once the response closed. */
  wait(ms: number): Promise<void>
  write(text: string): boolean
  /** Destroys the socket on purpose (not counted as a client abort). */
  reset(): void
}

class Closed extends Error {}

export async function startFakeUpstream(): Promise<FakeUpstream> {
  const requests: RecordedRequest[] = []
  const scripts = new Map<string, Scenario>()
  const seenPerModel = new Map<string, number>()
  const sockets = new Set<Socket>()
  const timers = new Set<NodeJS.Timeout>()
  let aborts = 0

  const server = createServer((req, res) => {
    void handle(req, res).catch((err) => {
      if (err instanceof Closed) return
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' })
        res.end(JSON.stringify(openAIError(`fake upstream failed: ${String(err)}`, 'server_error')))
      } else res.destroy()
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  // A stream that never ends must not keep node alive after a test.
  server.keepAliveTimeout = 1000

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = performance.now()
    const raw = await readBody(req)
    let parsed: unknown = raw
    try {
      parsed = raw ? JSON.parse(raw) : undefined
    } catch {
      // kept as text
    }
    const model =
      parsed && typeof parsed === 'object' && 'model' in parsed && typeof parsed.model === 'string'
        ? parsed.model
        : undefined
    const record: RecordedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body: parsed as ChatRequestBody,
      model,
      receivedAt,
      closedAt: null,
      aborted: false,
    }
    requests.push(record)

    let selfReset = false
    res.on('close', () => {
      record.closedAt = performance.now()
      if (!res.writableFinished && !selfReset) {
        record.aborted = true
        aborts++
      }
    })

    const live: Live = {
      req,
      res,
      record,
      wait: (ms) =>
        new Promise<void>((resolvePromise, reject) => {
          if (res.destroyed) return reject(new Closed())
          const onClose = () => {
            clearTimeout(timer)
            timers.delete(timer)
            reject(new Closed())
          }
          const timer = setTimeout(() => {
            timers.delete(timer)
            res.off('close', onClose)
            resolvePromise()
          }, ms)
          timers.add(timer)
          res.once('close', onClose)
        }),
      write: (text) => {
        if (res.destroyed) throw new Closed()
        return res.write(text)
      },
      reset: () => {
        selfReset = true
        req.socket.destroy()
      },
    }

    if (req.method === 'GET' && /\/models$/.test(new URL(req.url ?? '/', 'http://x').pathname)) {
      return json(res, 200, { object: 'list', data: [...scripts.keys()].map((id) => ({ id, object: 'model' })) })
    }
    if (req.method !== 'POST' || !/\/chat\/completions$/.test(new URL(req.url ?? '/', 'http://x').pathname)) {
      return json(res, 404, openAIError(`no route ${req.method} ${req.url}`))
    }
    if (!model)
      return json(res, 400, openAIError('you must provide a model parameter', 'invalid_request_error', null, 'model'))

    const n = seenPerModel.get(model) ?? 0
    seenPerModel.set(model, n + 1)
    const scenario = scripts.get(model) ?? scenarioForModel(model)
    if (!scenario)
      return json(
        res,
        404,
        openAIError(`The model \`${model}\` does not exist`, 'invalid_request_error', 'model_not_found'),
      )
    await play(live, pick(scenario, n), model)
  }

  const address = await new Promise<AddressInfo>((resolvePromise, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolvePromise(server.address() as AddressInfo))
  })
  const origin = `http://127.0.0.1:${address.port}`

  return {
    url: `${origin}/v1`,
    origin,
    requests,
    get aborts() {
      return aborts
    },
    openConnections: () => sockets.size,
    activeRequests: () => requests.filter((r) => r.closedAt === null).length,
    script: (model, scenario) => {
      scripts.set(model, scenario)
    },
    requestsFor: (model) => requests.filter((r) => r.model === model),
    close: () =>
      new Promise<void>((resolvePromise) => {
        for (const t of timers) clearTimeout(t)
        timers.clear()
        server.closeAllConnections()
        server.close(() => resolvePromise())
      }),
  }
}

function pick(scenario: Scenario, n: number): Scenario {
  if (scenario.kind !== 'sequence') return scenario
  const step = scenario.steps[Math.min(n, scenario.steps.length - 1)]
  if (!step) throw new Error('empty sequence scenario')
  return pick(step, n)
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const parts: Buffer[] = []
    req.on('data', (c: Buffer) => parts.push(c))
    req.on('end', () => resolvePromise(Buffer.concat(parts).toString('utf8')))
    req.on('error', reject)
  })
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

function startStream(res: ServerResponse, status = 200, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...headers })
  res.flushHeaders()
}

function wantsUsage(body: ChatRequestBody | undefined): boolean {
  return body?.stream_options?.include_usage === true
}

async function play(live: Live, scenario: Scenario, model: string): Promise<void> {
  const { res, record } = live
  switch (scenario.kind) {
    case 'sequence':
      return play(live, pick(scenario, 0), model)

    case 'status':
      return json(
        res,
        scenario.status,
        scenario.body ?? openAIError(`HTTP ${scenario.status} from the fake`),
        scenario.headers,
      )

    case 'auth-echo': {
      const auth = String(live.req.headers.authorization ?? '')
      const key = auth.replace(/^Bearer\s+/i, '')
      return json(
        res,
        401,
        openAIError(
          `Incorrect API key provided: ${key}. ` +
            'You can find your API key at https://platform.openai.com/account/api-keys.',
          'invalid_request_error',
          'invalid_api_key',
        ),
      )
    }

    case 'fixture': {
      const data = readFixture(scenario.file)
      const status = scenario.status ?? FIXTURE_STATUS[scenario.file] ?? 200
      const mode = scenario.mode ?? (scenario.file.endsWith('.jsonl') ? 'chunks' : 'verbatim')
      if (mode === 'chunks') {
        const lines = data
          .toString('utf8')
          .split('\n')
          .filter((l) => l.trim() !== '')
        startStream(res, status)
        for (const line of lines) {
          if (scenario.everyMs) await live.wait(scenario.everyMs)
          live.write(`data: ${line}\n\n`)
        }
        live.write(DONE_FRAME)
        res.end()
        return
      }
      if (scenario.file.endsWith('.sse')) {
        startStream(res, status)
        if (!scenario.everyMs) {
          res.end(data)
          return
        }
        // Paced, still byte for byte: split after each blank line.
        const text = data.toString('utf8')
        const events = text.split(/(?<=\n\n)/)
        for (const event of events) {
          await live.wait(scenario.everyMs)
          live.write(event)
        }
        res.end()
        return
      }
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': data.length })
      res.end(data)
      return
    }

    case 'text': {
      const answer = typeof scenario.deltas === 'number' ? words(scenario.deltas) : (scenario.deltas ?? words(5))
      const reasoning =
        typeof scenario.reasoning === 'number' ? words(scenario.reasoning, 'r') : (scenario.reasoning ?? [])
      const reported = scenario.model ?? model
      const every = scenario.everyMs ?? 0
      const placement = scenario.usage ?? 'choices-empty'
      const usage = scenario.usageBody ?? defaultUsage(answer.length, reasoning.length)
      const field = scenario.reasoningField ?? 'reasoning_content'
      startStream(res)
      if (scenario.keepAlive) {
        for (let i = 0; i < scenario.keepAlive.count; i++) {
          live.write(`: ${scenario.keepAlive.comment ?? 'keep-alive'}\n\n`)
          await live.wait(scenario.keepAlive.everyMs)
        }
      }
      live.write(sseData(chunk(reported, { role: 'assistant', content: '' })))
      if (scenario.firstDelayMs) await live.wait(scenario.firstDelayMs)
      for (const [i, r] of reasoning.entries()) {
        if (i > 0 && every) await live.wait(every)
        live.write(sseData(chunk(reported, { content: null, [field]: r })))
      }
      for (const [i, t] of answer.entries()) {
        const gap = i === 0 ? (reasoning.length > 0 ? (scenario.answerDelayMs ?? every) : 0) : every
        if (gap) await live.wait(gap)
        live.write(sseData(chunk(reported, { content: t })))
      }
      const finishReason = scenario.finishReason ?? 'stop'
      if (placement === 'finish-chunk') live.write(sseData(finishChunk(reported, finishReason, { usage })))
      else live.write(sseData(finishChunk(reported, finishReason)))
      if (placement === 'choices-empty' && wantsUsage(record.body))
        live.write(sseData(chunk(reported, null, { usage })))
      if (placement === 'after-finish') live.write(sseData(chunk(reported, { content: '' }, { usage })))
      live.write(DONE_FRAME)
      res.end()
      return
    }

    case 'malformed-json': {
      startStream(res)
      for (const t of words(scenario.after ?? 2)) live.write(sseData(chunk(model, { content: t })))
      live.write('data: {"id":"chatcmpl-fake","choices":[{"index":0,"delta":{"content":"bro\n\n')
      live.write(DONE_FRAME)
      res.end()
      return
    }

    case 'stream-error': {
      startStream(res)
      for (const t of words(scenario.after ?? 3)) live.write(sseData(chunk(model, { content: t })))
      if (scenario.style === 'openrouter') {
        live.write(
          sseData({
            ...chunk(model, { content: '' }),
            provider: 'FakeProvider',
            error: { code: 502, message: 'Upstream provider returned an error mid-stream' },
            choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error', native_finish_reason: 'error' }],
            usage: { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14, cost: 0.00001 },
          }),
        )
        live.write(DONE_FRAME)
        res.end()
      } else {
        live.write(
          `event: error\ndata: ${JSON.stringify({
            error: {
              message: 'Tool call validation failed: the model produced an invalid call.',
              type: 'invalid_request_error',
              code: 'tool_use_failed',
              failed_generation: '',
              status_code: 400,
            },
          })}\n\n`,
        )
        res.end()
      }
      return
    }

    case 'reset': {
      startStream(res)
      live.write(sseData(chunk(model, { role: 'assistant', content: '' })))
      for (const t of words(scenario.after ?? 10)) {
        if (scenario.everyMs) await live.wait(scenario.everyMs)
        live.write(sseData(chunk(model, { content: t })))
      }
      // Let the bytes leave before the reset, so the client sees the tokens and then the broken connection.
      await live.wait(20)
      live.reset()
      return
    }

    case 'silence':
      startStream(res)
      await hang(live)
      return

    case 'endless': {
      startStream(res)
      const every = scenario.everyMs ?? 20
      for (let i = 1; ; i++) {
        live.write(
          scenario.mode === 'ping'
            ? ': ping\n\n'
            : sseData(chunk(model, { content: ` ${ANSWER_WORDS[i % ANSWER_WORDS.length]}` })),
        )
        await live.wait(every)
      }
    }

    case 'reject-stream-options': {
      if (record.body && typeof record.body === 'object' && 'stream_options' in record.body) {
        return json(
          res,
          400,
          openAIError('Unrecognized request argument supplied: stream_options', 'invalid_request_error', null, null),
        )
      }
      return play(live, scenario.otherwise ?? { kind: 'text', deltas: 5 }, model)
    }

    case 'huge-chunk': {
      const size = scenario.bytes ?? 10 * 1024 * 1024
      startStream(res)
      live.write(sseData(chunk(model, { role: 'assistant', content: '' })))
      live.write(sseData(chunk(model, { content: 'x'.repeat(size) })))
      live.write(sseData(finishChunk(model, 'stop', { usage: defaultUsage(1, 0) })))
      live.write(DONE_FRAME)
      res.end()
      return
    }

    case 'raw': {
      startStream(res, scenario.status ?? 200, scenario.headers)
      for (const frame of scenario.frames) {
        if (typeof frame === 'string') live.write(frame)
        else await live.wait(frame.delayMs)
      }
      if (scenario.end === 'reset') {
        await live.wait(20)
        live.reset()
      } else if (scenario.end === 'hang') await hang(live)
      else res.end()
      return
    }
  }
}

function hang(live: Live): Promise<void> {
  return new Promise((resolvePromise) => live.res.once('close', () => resolvePromise()))
}

/** Polls until `predicate` holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(predicate: () => boolean, timeoutMs = 2000, stepMs = 5): Promise<boolean> {
  const end = performance.now() + timeoutMs
  while (!predicate()) {
    if (performance.now() > end) return false
    await new Promise((r) => setTimeout(r, stepMs))
  }
  return true
}
