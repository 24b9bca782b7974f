import type { Agent } from 'node:http'
import { performance } from 'node:perf_hooks'
import type OpenAI from 'openai'
import { TOKEN_TEXT } from './mock-upstream.ts'
import { postSse, type SseOutcome } from './sse-client.ts'

/** What a reader saw of one target's token stream (times: performance.now() of the bench process). */
export interface TokenTrace {
  firstAt: number | null
  lastAt: number | null
  tokens: number
  /** Longest silence between two consecutive token arrivals. */
  maxGapMs: number
  /** Arrival time of every token (a coalesced event counts once per token); only when traced. */
  arrivals: number[] | null
}

export interface StreamOutcome extends TokenTrace {
  startedAt: number
  endedAt: number
  error: string | null
}

export interface CompareOutcome {
  startedAt: number
  endedAt: number
  doneAt: number | null
  firstDeltaAt: number | null
  targets: TokenTrace[]
  /** Final status of each target from its `result` event. */
  statuses: Array<string | null>
  http: SseOutcome
  error: string | null
}

const newTrace = (traced: boolean): TokenTrace => ({
  firstAt: null,
  lastAt: null,
  tokens: 0,
  maxGapMs: 0,
  arrivals: traced ? [] : null,
})

function addTokens(t: TokenTrace, text: string, at: number): void {
  const n = Math.round(text.length / TOKEN_TEXT.length)
  if (n === 0) return
  if (t.lastAt !== null && at - t.lastAt > t.maxGapMs) t.maxGapMs = at - t.lastAt
  t.firstAt ??= at
  t.lastAt = at
  t.tokens += n
  if (t.arrivals) for (let i = 0; i < n; i++) t.arrivals.push(at)
}

export interface CompareHandle {
  startedAt: number
  /** Resolves at the first `delta` event (or null when the stream ends without one). */
  firstDelta: Promise<number | null>
  done: Promise<CompareOutcome>
  disconnect(): number
}

/** POST /api/compare with `"stream": true`, read through the raw SSE reader. */
export function juxtaCompare(
  agent: Agent,
  port: number,
  targets: string[],
  prompt: string,
  traced = false,
): CompareHandle {
  const traces = targets.map(() => newTrace(traced))
  const statuses: Array<string | null> = targets.map(() => null)
  let firstDeltaAt: number | null = null
  let doneAt: number | null = null
  let resolveFirst: (at: number | null) => void = () => {}
  const firstDelta = new Promise<number | null>((r) => (resolveFirst = r))
  const body = JSON.stringify({ prompt, targets, stream: true })
  const handle = postSse(agent, port, '/api/compare', body, 'application/json', (event, data, at) => {
    if (event === 'delta') {
      const d = JSON.parse(data) as { index: number; kind: string; text: string }
      const t = traces[d.index]
      if (t && d.kind === 'text') addTokens(t, d.text, at)
      if (firstDeltaAt === null) {
        firstDeltaAt = at
        resolveFirst(at)
      }
    } else if (event === 'result') {
      const d = JSON.parse(data) as { index: number; result: { status: string } }
      statuses[d.index] = d.result.status
    } else if (event === 'done') {
      doneAt = at
    }
  })
  const done = handle.done.then((http): CompareOutcome => {
    resolveFirst(firstDeltaAt)
    let error = http.error
    if (!error && http.status !== 200) error = `HTTP ${http.status}`
    if (!error && doneAt === null) error = 'no done event'
    if (!error && statuses.some((s) => s !== 'ok')) error = `target status ${statuses.join(',')}`
    return {
      startedAt: handle.startedAt,
      endedAt: http.endedAt,
      doneAt,
      firstDeltaAt,
      targets: traces,
      statuses,
      http,
      error,
    }
  })
  return { startedAt: handle.startedAt, firstDelta, done, disconnect: handle.disconnect }
}

/** The same raw SSE reader straight at the mock: a transport-for-transport baseline. */
export function directRaw(
  agent: Agent,
  mockPort: number,
  model: string,
  prompt: string,
  traced = false,
): { startedAt: number; done: Promise<StreamOutcome>; disconnect(): number } {
  const trace = newTrace(traced)
  const body = JSON.stringify({
    model,
    messages: [{ role: 'user', content: prompt }],
    stream: true,
    stream_options: { include_usage: true },
  })
  const handle = postSse(agent, mockPort, '/v1/chat/completions', body, 'application/json', (_event, data, at) => {
    if (data === '[DONE]') return
    const chunk = JSON.parse(data) as { choices?: Array<{ delta?: { content?: string } }> }
    const text = chunk.choices?.[0]?.delta?.content
    if (text) addTokens(trace, text, at)
  })
  const done = handle.done.then((http): StreamOutcome => {
    let error = http.error
    if (!error && http.status !== 200) error = `HTTP ${http.status}`
    return { ...trace, startedAt: handle.startedAt, endedAt: http.endedAt, error }
  })
  return { startedAt: handle.startedAt, done, disconnect: handle.disconnect }
}

/** The openai SDK reading the mock directly: the baseline the issue asks for. */
export async function directSdk(
  client: OpenAI,
  model: string,
  prompt: string,
  options: { traced?: boolean; signal?: AbortSignal; onFirst?: (at: number) => void } = {},
): Promise<StreamOutcome> {
  const trace = newTrace(options.traced ?? false)
  const startedAt = performance.now()
  let error: string | null = null
  try {
    const stream = await client.chat.completions.create(
      { model, messages: [{ role: 'user', content: prompt }], stream: true, stream_options: { include_usage: true } },
      { signal: options.signal },
    )
    for await (const chunk of stream) {
      const text = chunk.choices[0]?.delta?.content
      if (text) {
        const at = performance.now()
        const first = trace.firstAt === null
        addTokens(trace, text, at)
        if (first) options.onFirst?.(at)
      }
    }
  } catch (err) {
    error = err instanceof Error ? err.message : String(err)
  }
  return { ...trace, startedAt, endedAt: performance.now(), error }
}
