import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { TEST_KEY, postCompare, postDeclaredOversize, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { collectSSE } from '../helpers/sse.ts'
import type { TargetResult } from '../../src/domain/types.ts'
import { COMPARE_MAX_BYTES } from '../../src/app.ts'
import { CONTENT_SECURITY_POLICY } from '../../src/security/headers.ts'
import { request as httpRequest } from 'node:http'

// The JSON API: GET /api/targets and POST /api/compare (validation, whole and streamed answers).

const ENV_KEY = 'sk-env-0123456789abcdef'
const MANY = Array.from({ length: 17 }, (_, i) => `m${i + 1}`)

let fake: FakeUpstream
let juxta: RunningJuxta

beforeAll(async () => {
  fake = await startFakeUpstream()
  fake.script('hello', { kind: 'text', deltas: ['Hello', ',', ' world', '!'], reasoning: ['Greet', ' them.'] })
  fake.script('bye', { kind: 'text', deltas: ['Bye', '.'] })
  for (const m of MANY) fake.script(m, { kind: 'text', deltas: [m] })
  juxta = await startJuxta({
    env: { FAKE_KEY: ENV_KEY },
    config: `
run:
  max_retries: 0
providers:
  envkey:
    name: Env Key Provider
    base_url: ${fake.url}
    api_key: \${FAKE_KEY}
    models: [hello, bye]
  literal:
    base_url: ${fake.url}
    api_key: ${TEST_KEY}
    models:
      - id: hello
        label: Hello (literal)
  nokey:
    base_url: ${fake.url}
    api_key: \${NOT_SET_ANYWHERE}
    models: [hello]
  local:
    base_url: ${fake.url}
    requires_key: false
    models: [${MANY.join(', ')}]
`,
  })
})

afterAll(async () => {
  await juxta?.close()
  await fake?.close()
})

interface ApiError {
  error: { message: string; issues: Array<{ path: string; message: string }> }
}

async function expect422(body: unknown): Promise<ApiError['error']> {
  const before = fake.requests.length
  const res = await postCompare(juxta.url, body)
  expect(res.status).toBe(422)
  const err = (res.body as ApiError).error
  expect(typeof err.message).toBe('string')
  expect(Array.isArray(err.issues)).toBe(true)
  for (const issue of err.issues) {
    expect(typeof issue.path).toBe('string')
    expect(typeof issue.message).toBe('string')
  }
  expect(fake.requests.length).toBe(before)
  return err
}

describe('GET /api/targets', () => {
  it('lists every target with its provider, label and key status, and no keys', async () => {
    // The local provider's reachability probe (GET /models) ends here, not during a later test's request count.
    await juxta.ctx.reachability.settle(juxta.ctx.catalog().providers, { maxWaitMs: 10_000 })
    const res = await fetch(`${juxta.url}/api/targets`)
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text).not.toContain(ENV_KEY)
    expect(text).not.toContain(TEST_KEY)
    const targets = JSON.parse(text) as Array<Record<string, string>>
    expect(targets.length).toBe(2 + 1 + 1 + MANY.length)
    expect(targets[0]).toEqual({
      target: 'envkey/hello',
      provider: 'envkey',
      provider_name: 'Env Key Provider',
      model: 'hello',
      label: 'hello',
      key_status: 'env',
      vision: null,
      reachable: null,
      unreachable_reason: null,
    })
    const byTarget = Object.fromEntries(targets.map((t) => [t.target, t]))
    expect(byTarget['literal/hello']).toMatchObject({
      key_status: 'config',
      label: 'Hello (literal)',
      provider_name: 'literal',
    })
    expect(byTarget['nokey/hello']!.key_status).toBe('missing')
    expect(byTarget['local/m1']).toMatchObject({ key_status: 'not_needed', reachable: true, unreachable_reason: null })
  })
})

describe('POST /api/compare validation', () => {
  it('rejects an empty or blank prompt', async () => {
    for (const prompt of ['', '   \n ']) {
      const err = await expect422({ prompt, targets: ['envkey/hello'] })
      expect(err.issues).toEqual([{ path: 'prompt', message: 'must not be empty' }])
    }
  })

  it('rejects an unknown target, naming it and its index', async () => {
    const err = await expect422({ prompt: 'hi', targets: ['envkey/hello', 'envkey/nope'] })
    expect(err.issues).toEqual([{ path: 'targets[1]', message: 'unknown target "envkey/nope"' }])
  })

  it('rejects a duplicate target', async () => {
    const err = await expect422({ prompt: 'hi', targets: ['envkey/hello', 'envkey/bye', 'envkey/hello'] })
    expect(err.issues).toEqual([{ path: 'targets[2]', message: 'duplicate target "envkey/hello"' }])
  })

  it('rejects a target whose provider has no key', async () => {
    const err = await expect422({ prompt: 'hi', targets: ['nokey/hello'] })
    expect(err.issues[0]!.path).toBe('targets[0]')
    expect(err.issues[0]!.message).toContain('needs an API key')
  })

  it('rejects more than max_targets (16) targets, and no targets at all', async () => {
    const err = await expect422({ prompt: 'hi', targets: MANY.map((m) => `local/${m}`) })
    expect(err.issues).toEqual([{ path: 'targets', message: 'at most 16 targets per run' }])
    const none = await expect422({ prompt: 'hi', targets: [] })
    expect(none.issues).toEqual([{ path: 'targets', message: 'pick at least one target' }])
  })

  it('accepts exactly 16 targets', async () => {
    const res = await postCompare(juxta.url, { prompt: 'hi', targets: MANY.slice(0, 16).map((m) => `local/${m}`) })
    expect(res.status).toBe(200)
    expect((res.body.results as TargetResult[]).map((r) => r.text)).toEqual(MANY.slice(0, 16))
  })

  it('rejects wrong types and unknown fields, one issue per path', async () => {
    const err = await expect422({
      prompt: 5,
      targets: 'envkey/hello',
      temperature: 'hot',
      max_tokens: 1.5,
      stream: 'yes',
      model: 'x',
    })
    const paths = err.issues.map((i) => i.path).sort()
    expect(paths).toEqual(['(root)', 'max_tokens', 'prompt', 'stream', 'targets', 'temperature'])
    expect(err.issues.find((i) => i.path === '(root)')!.message).toContain('model')
  })

  it('rejects out-of-range parameters', async () => {
    const err = await expect422({ prompt: 'hi', targets: ['envkey/hello'], temperature: 3, max_tokens: 0 })
    expect(err.issues.map((i) => i.path).sort()).toEqual(['max_tokens', 'temperature'])
  })

  it('rejects a body that is not JSON with 400', async () => {
    for (const body of ['not json', '{"prompt": "hi",', '']) {
      const res = await postCompare(juxta.url, body)
      expect(res.status).toBe(400)
      expect(res.body).toEqual({ error: { message: 'request body must be JSON', issues: [] } })
    }
  })

  it('rejects a non-object JSON body with 422', async () => {
    for (const body of ['[]', '"hi"', 'null', '42']) {
      const res = await postCompare(juxta.url, body)
      expect(res.status).toBe(422)
      expect(res.body.error.issues.length).toBeGreaterThan(0)
    }
  })

  it('refuses a body over 64 MiB (room for 8 images) with 413 before any upstream request', async () => {
    const before = fake.requests.length
    const res = await postDeclaredOversize(juxta.url, '/api/compare', COMPARE_MAX_BYTES)
    expect(res.status).toBe(413)
    expect(res.headers.connection).toBe('close')
    expect(JSON.parse(res.text).error.message).toContain(`over ${COMPARE_MAX_BYTES} bytes`)
    expect(fake.requests.length).toBe(before)
  })

  it('keeps serving the same client after a 413 (the half-read connection is not reused)', async () => {
    for (const pause of [0, 200]) {
      // A 1 MiB route (the compare routes take 64 MiB), through the same client and origin as the compares.
      const big = await fetch(`${juxta.url}/estimate`, {
        method: 'POST',
        headers: { origin: juxta.url },
        body: new URLSearchParams([['prompt', 'x'.repeat(1024 * 1024 + 10)]]),
      })
      expect(big.status).toBe(413)
      await big.text()
      await new Promise((r) => setTimeout(r, pause))
      // Before the fix the pooled socket was reused and closed under this request ("other side closed").
      for (let i = 0; i < 3; i++)
        expect((await postCompare(juxta.url, { prompt: 'hi', targets: ['envkey/bye'] })).status).toBe(200)
    }
  })
})

describe('POST /api/compare answers', () => {
  it('returns the run as JSON: id, time and one result per target in request order', async () => {
    const res = await postCompare(juxta.url, {
      prompt: 'Say hello',
      system: 'Be brief.',
      targets: ['envkey/bye', 'literal/hello'],
      temperature: 0.2,
      max_tokens: 100,
    })
    expect(res.status).toBe(200)
    expect(res.body.run_id).toMatch(/^[0-9a-z]{9}[0-9a-f]{12}$/)
    expect(Number.isNaN(Date.parse(res.body.created_at))).toBe(false)
    const [bye, hello] = res.body.results as TargetResult[]
    expect(bye).toMatchObject({ target: 'envkey/bye', label: 'bye', status: 'ok', text: 'Bye.', reasoning: '' })
    expect(hello).toMatchObject({
      target: 'literal/hello',
      label: 'Hello (literal)',
      status: 'ok',
      text: 'Hello, world!',
      reasoning: 'Greet them.',
    })
    expect(hello!.usage).toEqual({
      input_tokens: 11,
      cached_input_tokens: 0,
      output_tokens: 6,
      reasoning_tokens: 2,
      source: 'reported',
    })
    // What went upstream: the system prompt, the user prompt, the params, and each provider's own key.
    const sent = fake.requests.slice(-2).sort((a, b) => String(a.model).localeCompare(String(b.model)))
    expect(sent[0]!.body).toMatchObject({
      model: 'bye',
      temperature: 0.2,
      max_tokens: 100,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hello' },
      ],
    })
    expect(sent[0]!.headers.authorization).toBe(`Bearer ${ENV_KEY}`)
    expect(sent[1]!.headers.authorization).toBe(`Bearer ${TEST_KEY}`)
    expect(res.text).not.toContain(ENV_KEY)
  })

  it('"stream": true answers with an event stream: run first, deltas, results, done last', async () => {
    const res = await fetch(`${juxta.url}/api/compare`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'Say hello', targets: ['envkey/hello', 'envkey/bye'], stream: true }),
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const frames = await collectSSE(res)
    const events = frames.map((f) => f.event)
    expect(events[0]).toBe('run')
    expect(events.at(-1)).toBe('done')
    expect(events.filter((e) => e === 'done').length).toBe(1)
    expect(new Set(events)).toEqual(new Set(['run', 'first-token', 'delta', 'result', 'done']))

    const run = JSON.parse(frames[0]!.data)
    expect(run.targets).toEqual(['envkey/hello', 'envkey/bye'])
    const done = JSON.parse(frames.at(-1)!.data)
    expect(done.run_id).toBe(run.run_id)

    const parsed = frames.map((f) => ({ event: f.event, data: JSON.parse(f.data) }))
    for (const [index, target] of run.targets.entries()) {
      const deltas = parsed.filter((f) => f.event === 'delta' && f.data.index === index)
      const text = deltas
        .filter((d) => d.data.kind === 'text')
        .map((d) => d.data.text)
        .join('')
      const reasoning = deltas
        .filter((d) => d.data.kind === 'reasoning')
        .map((d) => d.data.text)
        .join('')
      const result = parsed.find((f) => f.event === 'result' && f.data.index === index)!
      expect(result.data.target).toBe(target)
      expect(result.data.result.text).toBe(text)
      expect(result.data.result.reasoning).toBe(reasoning)
      expect(done.results[index].text).toBe(text)
      // Every delta of a target comes before its result.
      const resultAt = parsed.indexOf(result)
      expect(deltas.every((d) => parsed.indexOf(d) < resultAt)).toBe(true)
      expect(deltas.every((d) => d.data.target === target)).toBe(true)
      for (const d of deltas) expect(Object.keys(d.data)).toEqual(['type', 'index', 'kind', 'text', 'target'])
      expect(deltas.every((d) => d.data.type === 'delta')).toBe(true)
    }
    expect(done.results.map((r: TargetResult) => r.text)).toEqual(['Hello, world!', 'Bye.'])
  })

  it('the event stream, written past Hono, carries every security header once', async () => {
    const url = new URL(`${juxta.url}/api/compare`)
    const body = JSON.stringify({ prompt: 'Say hello', targets: ['envkey/bye'], stream: true })
    const { raw, text } = await new Promise<{ raw: string[]; text: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => (text += chunk))
          res.on('end', () => resolve({ raw: res.rawHeaders, text }))
        },
      )
      req.on('error', reject)
      req.end(body)
    })
    const names = raw.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase())
    const header = (name: string) => raw[raw.findIndex((n, i) => i % 2 === 0 && n.toLowerCase() === name) + 1]
    expect(new Set(names).size).toBe(names.length)
    expect(header('content-security-policy')).toBe(CONTENT_SECURITY_POLICY)
    for (const name of [
      'x-content-type-options',
      'referrer-policy',
      'x-frame-options',
      'cross-origin-opener-policy',
      'cross-origin-resource-policy',
      'permissions-policy',
    ])
      expect(names).toContain(name)
    expect(header('content-type')).toBe('text/event-stream')
    expect(header('cache-control')).toBe('no-store')
    expect(header('transfer-encoding')).toBe('chunked')
    expect(names).not.toContain('x-hono-already-sent')
    expect(text.startsWith('event: run\n')).toBe(true)
    expect(text.endsWith('\n\n')).toBe(true)
    expect(text).toContain('event: done\n')
  })

  it('answers 404 in JSON for unknown API paths', async () => {
    const res = await fetch(`${juxta.url}/api/nope`)
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ error: { message: 'not found', issues: [] } })
  })
})
