import { describe, expect, it } from 'vitest'
import { _iterSSEMessages } from 'openai/core/streaming'
import { parseEvent, SseParser, type SseMessage } from '../../src/providers/sse-parser.ts'
import { ProviderError } from '../../src/providers/errors.ts'
import { readFixture } from '../helpers/fake-upstream.ts'

const enc = new TextEncoder()

/** Feeds `pieces` to a parser and returns the events it found. */
function parse(pieces: Uint8Array[], maxEventBytes?: number): SseMessage[] {
  const out: SseMessage[] = []
  const parser = new SseParser((m) => out.push(m), { maxEventBytes })
  for (const p of pieces) parser.push(p)
  parser.end()
  return out
}

/** What the openai SDK's own decoder finds in the same pieces: the reference the parser must agree with. */
async function sdkEvents(pieces: Uint8Array[]): Promise<SseMessage[]> {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const p of pieces) controller.enqueue(p)
      controller.close()
    },
  })
  const out: SseMessage[] = []
  for await (const m of _iterSSEMessages(new Response(body), new AbortController())) {
    out.push({ event: m.event, data: m.data })
  }
  return out
}

/** Deterministic pseudo-random cut points. */
function cut(bytes: Uint8Array, seed: number, maxPiece: number): Uint8Array[] {
  const pieces: Uint8Array[] = []
  let s = seed
  for (let at = 0; at < bytes.length; ) {
    s = (s * 1103515245 + 12345) >>> 0
    const size = 1 + (s % maxPiece)
    pieces.push(bytes.subarray(at, at + size))
    at += size
  }
  return pieces
}

describe('SseParser', () => {
  it('finds every event of one network chunk; a comment-only event is none', () => {
    expect(parse([enc.encode('data: a\n\ndata: b\n\n: ping\n\ndata: [DONE]\n\n')])).toEqual([
      { event: null, data: 'a' },
      { event: null, data: 'b' },
      { event: null, data: '[DONE]' },
    ])
  })

  it('holds a partial event until it ends, then reads it whole', () => {
    const out = parse([enc.encode('data: {"a":'), enc.encode('1}\n'), enc.encode('\ndata: x\n\n')])
    expect(out).toEqual([
      { event: null, data: '{"a":1}' },
      { event: null, data: 'x' },
    ])
  })

  it('keeps a multi-byte character cut between two reads', () => {
    const bytes = enc.encode('data: {"c":"€ 😀"}\n\n')
    expect(parse(cut(bytes, 3, 2))).toEqual([{ event: null, data: '{"c":"€ 😀"}' }])
  })

  it('reads field rules as the SDK does: event names, joined data lines, one leading space, no-colon fields', () => {
    expect(parseEvent('event: error\ndata: {"a":\ndata:  1}\nid: 7\nretry: 5\n\n')).toEqual({
      event: 'error',
      data: '{"a":\n 1}',
    })
    expect(parseEvent('data\n\n')).toEqual({ event: null, data: '' })
    expect(parseEvent(': only a comment\n\n')).toBeNull()
    expect(parseEvent('event:\n\n')).toBeNull()
  })

  it('handles CRLF and CR line endings, including a CRLF split across chunks', () => {
    expect(parse([enc.encode('data: a\r\n\r\ndata: b\r\r')])).toEqual([
      { event: null, data: 'a' },
      { event: null, data: 'b' },
    ])
    expect(parse([enc.encode('data: a\r\n\r'), enc.encode('\ndata: b\r\n\r\n')])).toEqual([
      { event: null, data: 'a' },
      { event: null, data: 'b' },
    ])
  })

  it('reads an unterminated last event at the end', () => {
    expect(parse([enc.encode('data: a\n\ndata: tail')])).toEqual([
      { event: null, data: 'a' },
      { event: null, data: 'tail' },
    ])
  })

  it('reads recorded streams exactly as the SDK does, whatever the network cut points', async () => {
    for (const file of [
      'deepseek-reasoner_stream_usage_2025-07.sse',
      'openrouter_claude_stream_reasoning_processing-comments_cost.sse',
      'groq_gpt-oss-120b_stream_x_groq-usage.sse',
      'openai_gpt-4o-mini_stream_include-usage.sse',
    ]) {
      const bytes = new Uint8Array(readFixture(file))
      const reference = await sdkEvents([bytes])
      expect(reference.length).toBeGreaterThan(3)
      for (const [seed, max] of [
        [1, 7],
        [2, 300],
        [3, 5000],
      ] as const) {
        expect(parse(cut(bytes, seed, max))).toEqual(reference)
      }
    }
  })

  it('agrees with the SDK for any mix of fields, comments, line endings and cut points', async () => {
    const alphabet = ['a', 'data: x', 'data:y', 'event: e', ':', ': c', '\n', '\r', '\r\n', '\n\n', '\r\r', '\r\n\r\n']
    let s = 7
    const next = (n: number) => {
      s = (s * 1103515245 + 12345) >>> 0
      return s % n
    }
    for (let round = 0; round < 300; round++) {
      // Whole events (the SDK, too, only reads up to the last blank line before it flushes the rest).
      const text = `${Array.from({ length: 1 + next(40) }, () => alphabet[next(alphabet.length)]).join('')}\n\n`
      const bytes = enc.encode(text)
      expect(parse(cut(bytes, round + 1, 1 + next(9)))).toEqual(await sdkEvents([bytes]))
    }
  })

  it('drops a byte-order mark opening the body or any field line, as the SDK does', async () => {
    const text =
      '\uFEFFdata: {"n":1}\n\n\uFEFFdata: {"n":2}\n\nevent: e\n\uFEFFdata: {"n":3}\n\ndata: mid\uFEFFline\n\n'
    const bytes = enc.encode(text)
    const reference = await sdkEvents([bytes])
    expect(reference.map((m) => m.data)).toEqual(['{"n":1}', '{"n":2}', '{"n":3}', 'mid\uFEFFline'])
    for (const [seed, max] of [
      [1, 3],
      [2, 17],
      [3, 500],
    ] as const) {
      expect(parse(cut(bytes, seed, max))).toEqual(reference)
    }
  })

  it('fails with a clear upstream error when one event exceeds the limit', () => {
    const big = enc.encode(`data: ${'x'.repeat(5000)}`)
    let error: unknown
    try {
      parse(cut(big, 4, 512), 4096)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ProviderError)
    expect((error as ProviderError).kind).toBe('upstream')
    expect((error as ProviderError).message).toMatch(/event larger than 4 MiB|event larger than/)
  })

  it('counts the limit in bytes, not characters, whatever the cut points', () => {
    // 2,000 three-byte characters: 6,006 bytes, under 4,096 characters.
    expect(() => parse(cut(enc.encode(`data: ${'€'.repeat(2000)}`), 6, 700), 4096)).toThrow(ProviderError)
    // 1,300 of them: 3,906 bytes, within the limit.
    const out = parse(cut(enc.encode(`data: ${'€'.repeat(1300)}\n\n`), 7, 700), 4096)
    expect(out).toEqual([{ event: null, data: '€'.repeat(1300) }])
  })

  it('reads a 4 MiB event arriving in 64 KiB pieces once, as one event', () => {
    const payload = 'x'.repeat(4 * 1024 * 1024)
    const out = parse(cut(enc.encode(`data: {"c":"${payload}"}\n\n`), 5, 64 * 1024))
    expect(out).toHaveLength(1)
    expect(out[0]!.data.length).toBe(payload.length + 8)
  })
})
