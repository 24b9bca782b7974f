import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { classifyError, ProviderError } from '../../src/providers/errors.ts'
import { redactSecrets } from '../../src/providers/redact.ts'

const KEY = 'sk-proj-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2'

function apiError(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return OpenAI.APIError.generate(status, body, undefined, new Headers(headers))
}

describe('classifyError', () => {
  it('401 → auth, the echoed key redacted by value', () => {
    const e = classifyError(
      apiError(401, { error: { message: `Incorrect API key provided: ${KEY}.`, code: 'invalid_api_key' } }),
      [KEY],
    )
    expect(e.kind).toBe('auth')
    expect(e.status).toBe(401)
    expect(e.message).toBe('authentication failed (401): Incorrect API key provided: [redacted].')
    expect(JSON.stringify(e.toJSON())).not.toContain(KEY)
  })

  it('redacts key-shaped strings and bearer tokens it was not told about', () => {
    const e = classifyError(
      apiError(403, {
        error: { message: 'key sk-other-abcdefgh1234 rejected; sent Authorization: Bearer abc.def.ghi' },
      }),
      [],
    )
    expect(e.kind).toBe('auth')
    expect(e.message).not.toContain('sk-other-abcdefgh1234')
    expect(e.message).not.toContain('abc.def.ghi')
    expect(redactSecrets('AIzaSyA1234567890abcdefghijklmnop and gsk_abcdefghijkl')).toBe('[redacted] and [redacted]')
  })

  it('402 → quota; 429 about billing → quota; other 429 → rate_limit', () => {
    expect(classifyError(apiError(402, { error: { message: 'Insufficient Balance' } }), []).kind).toBe('quota')
    const billing = apiError(429, {
      error: {
        message: 'You exceeded your current quota, please check your plan and billing details.',
        code: 'insufficient_quota',
      },
    })
    expect(classifyError(billing, []).kind).toBe('quota')
    expect(classifyError(apiError(429, { error: { message: 'Rate limit reached' } }), []).kind).toBe('rate_limit')
  })

  it('408 and 504 → timeout; other 5xx → upstream; other 4xx → bad_request', () => {
    expect(classifyError(apiError(408, {}), []).kind).toBe('timeout')
    expect(classifyError(apiError(504, {}), []).kind).toBe('timeout')
    expect(classifyError(apiError(502, {}), []).kind).toBe('upstream')
    expect(classifyError(apiError(422, { error: { message: 'bad param', param: 'temperature' } }), [])).toMatchObject({
      kind: 'bad_request',
      param: 'temperature',
    })
  })

  it('reads retry-after-ms, retry-after seconds and retry-after dates', () => {
    expect(classifyError(apiError(429, {}, { 'retry-after-ms': '250' }), []).retryAfterMs).toBe(250)
    expect(classifyError(apiError(429, {}, { 'retry-after': '3' }), []).retryAfterMs).toBe(3000)
    const date = new Date(Date.now() + 5000).toUTCString()
    const fromDate = classifyError(apiError(429, {}, { 'retry-after': date }), []).retryAfterMs!
    expect(fromDate).toBeGreaterThan(3000)
    expect(fromDate).toBeLessThanOrEqual(5000)
    expect(classifyError(apiError(429, {}), []).retryAfterMs).toBeNull()
  })

  it('an error inside an HTTP 200 stream → upstream without a status', () => {
    const e = classifyError(
      new OpenAI.APIError(undefined, { message: 'Provider disconnected', code: 502 }, undefined, undefined),
      [],
    )
    expect(e).toMatchObject({ kind: 'upstream', status: null })
    expect(e.message).toBe('error in stream: Provider disconnected')
  })

  it('connection errors name the underlying cause code', () => {
    const refused = new OpenAI.APIConnectionError({
      cause: new TypeError('fetch failed', {
        cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      }),
    })
    expect(classifyError(refused, [])).toMatchObject({ kind: 'network', message: 'connection failed: ECONNREFUSED' })
    const noCode = new OpenAI.APIConnectionError({
      cause: new TypeError('fetch failed', { cause: new Error('bad port') }),
    })
    expect(classifyError(noCode, []).message).toBe('connection failed: bad port')
  })

  it('timeouts, aborts, bad JSON and broken streams get their own kinds', () => {
    expect(classifyError(new OpenAI.APIConnectionTimeoutError(), []).kind).toBe('timeout')
    expect(classifyError(new OpenAI.APIUserAbortError(), []).kind).toBe('cancelled')
    expect(classifyError(new SyntaxError('Unexpected token'), [])).toMatchObject({
      kind: 'upstream',
      message: 'malformed response from upstream (invalid JSON)',
    })
    const terminated = new TypeError('terminated', {
      cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
    })
    expect(classifyError(terminated, [])).toMatchObject({
      kind: 'network',
      message: 'connection closed mid-stream (UND_ERR_SOCKET)',
    })
  })

  it('keeps messages short and passes ProviderErrors through unchanged', () => {
    const long = classifyError(apiError(400, { error: { message: 'x'.repeat(2000) } }), [])
    expect(long.message.length).toBeLessThanOrEqual(501)
    const own = new ProviderError({ kind: 'upstream', message: 'as is', status: null })
    expect(classifyError(own, [])).toBe(own)
  })
})
