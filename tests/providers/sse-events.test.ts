import { describe, expect, it } from 'vitest'
import { sseEvents, type SseEventsOptions } from '../../src/providers/sse-events.ts'
import { ProviderError } from '../../src/providers/errors.ts'
import { readFixture } from '../helpers/fake-upstream.ts'

const enc = new TextEncoder()
const dec = new TextDecoder()

/** Feeds `pieces` through sseEvents and returns what came out, chunk by chunk. */
async function run(pieces: Uint8Array[], options?: SseEventsOptions): Promise<string[]> {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const p of pieces) controller.enqueue(p)
      controller.close()
    },
  })
  const out: string[] = []
  for await (const chunk of source.pipeThrough(sseEvents(options))) out.push(dec.decode(chunk))
  return out
}

/** The boundaries by definition, one byte at a time: what sseEvents must agree with, however it scans. */
function referenceEvents(bytes: Uint8Array): string[] {
  const out: string[] = []
  let start = 0
  let lineLength = 0
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]
    if (byte === 0x0a && i > 0 && bytes[i - 1] === 0x0d) continue
    if (byte !== 0x0a && byte !== 0x0d) {
      lineLength++
      continue
    }
    if (lineLength > 0) {
      lineLength = 0
      continue
    }
    const end = byte === 0x0d && bytes[i + 1] === 0x0a ? i + 2 : i + 1
    out.push(dec.decode(bytes.subarray(start, end)))
    start = end
    i = end - 1
  }
  if (start < bytes.length) out.push(dec.decode(bytes.subarray(start)))
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

describe('sseEvents', () => {
  it('emits one chunk per event from a single network chunk', async () => {
    expect(await run([enc.encode('data: a\n\ndata: b\n\n: ping\n\ndata: [DONE]\n\n')])).toEqual([
      'data: a\n\n',
      'data: b\n\n',
      ': ping\n\n',
      'data: [DONE]\n\n',
    ])
  })

  it('holds a partial event until it ends, then emits it whole', async () => {
    expect(await run([enc.encode('data: {"a":'), enc.encode('1}\n'), enc.encode('\ndata: x\n\n')])).toEqual([
      'data: {"a":1}\n\n',
      'data: x\n\n',
    ])
  })

  it('handles CRLF and CR line endings, including a CRLF split across chunks', async () => {
    expect(await run([enc.encode('data: a\r\n\r\ndata: b\r\r')])).toEqual(['data: a\r\n\r\n', 'data: b\r\r'])
    const split = await run([enc.encode('data: a\r\n\r'), enc.encode('\ndata: b\r\n\r\n')])
    expect(split.join('')).toBe('data: a\r\n\r\ndata: b\r\n\r\n')
  })

  it('emits an unterminated tail at the end', async () => {
    expect(await run([enc.encode('data: a\n\ndata: tail')])).toEqual(['data: a\n\n', 'data: tail'])
  })

  it('loses and reorders nothing, whatever the network cut points (recorded streams)', async () => {
    for (const file of [
      'deepseek-reasoner_stream_usage_2025-07.sse',
      'openrouter_claude_stream_reasoning_processing-comments_cost.sse',
      'groq_gpt-oss-120b_stream_x_groq-usage.sse',
    ]) {
      const bytes = new Uint8Array(readFixture(file))
      for (const [seed, max] of [
        [1, 7],
        [2, 300],
        [3, 5000],
      ] as const) {
        const out = await run(cut(bytes, seed, max))
        expect(out.join('')).toBe(dec.decode(bytes))
        // Every chunk but possibly the last ends exactly at an event boundary.
        for (const chunk of out.slice(0, -1)) expect(chunk.endsWith('\n\n')).toBe(true)
        expect(out.length).toBe(dec.decode(bytes).split('\n\n').filter(Boolean).length)
      }
    }
  })

  it('finds the same events as the byte-by-byte definition, for any mix of line endings and cut points', async () => {
    const alphabet = ['a', 'data: x', ':', '\n', '\r', '\r\n', '\n\n', '\r\r', '\r\n\r\n']
    let s = 7
    const next = (n: number) => {
      s = (s * 1103515245 + 12345) >>> 0
      return s % n
    }
    for (let round = 0; round < 300; round++) {
      const text = Array.from({ length: 1 + next(40) }, () => alphabet[next(alphabet.length)]).join('')
      const bytes = enc.encode(text)
      const out = await run(cut(bytes, round + 1, 1 + next(9)))
      expect(out.join('')).toBe(text)
      // The one allowed difference: the LF of a CRLF that ends an event arrives with the next read.
      const moved = out.map((e, i) => (e.endsWith('\r') && out[i + 1]?.startsWith('\n') ? `${e}\n` : e))
      const normalised = moved.map((e, i) =>
        moved[i - 1]?.endsWith('\r\n') && out[i - 1]!.endsWith('\r') ? e.slice(1) : e,
      )
      expect(normalised.filter(Boolean)).toEqual(referenceEvents(bytes))
    }
  })

  it('lets the event loop turn while a huge event streams in, and reports every arriving chunk', async () => {
    const event = enc.encode(`data: {"c":"${'x'.repeat(4 * 1024 * 1024)}"}\n\n`)
    const pieces = cut(event, 5, 64 * 1024)
    let turns = 0
    let ticking = true
    const tick = () => {
      turns++
      if (ticking) setImmediate(tick)
    }
    setImmediate(tick)
    let arrivals = 0
    const out = await run(pieces, { onBytes: () => arrivals++, yieldEveryBytes: 256 * 1024 })
    ticking = false
    expect(out).toEqual([dec.decode(event)])
    expect(arrivals).toBe(pieces.length)
    // The pieces were all queued at once: only the transform's own yields let the ticker run in between.
    expect(turns).toBeGreaterThanOrEqual(Math.floor(event.length / (256 * 1024)) - 1)
  })

  it('does not yield while less than the budget has arrived', async () => {
    let turns = 0
    setImmediate(() => turns++)
    const out = await run([enc.encode('data: a\n\n'), enc.encode('data: b\n\n')])
    expect(out).toEqual(['data: a\n\n', 'data: b\n\n'])
    expect(turns).toBe(0)
  })

  it('fails with a clear upstream error when one event exceeds the limit', async () => {
    const big = enc.encode(`data: ${'x'.repeat(5000)}`)
    const error = await run(cut(big, 4, 512), { maxEventBytes: 4096 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ProviderError)
    expect((error as ProviderError).kind).toBe('upstream')
    expect((error as ProviderError).message).toMatch(/event larger than/)
  })
})
