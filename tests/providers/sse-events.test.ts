import { describe, expect, it } from 'vitest'
import { sseEvents } from '../../src/providers/sse-events.ts'
import { ProviderError } from '../../src/providers/errors.ts'
import { readFixture } from '../helpers/fake-upstream.ts'

const enc = new TextEncoder()
const dec = new TextDecoder()

/** Feeds `pieces` through sseEvents and returns what came out, chunk by chunk. */
async function run(pieces: Uint8Array[], max?: number): Promise<string[]> {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const p of pieces) controller.enqueue(p)
      controller.close()
    },
  })
  const out: string[] = []
  for await (const chunk of source.pipeThrough(sseEvents(max))) out.push(dec.decode(chunk))
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
    expect(await run([enc.encode('data: {"a":'), enc.encode('1}\n'), enc.encode('\ndata: x\n\n')])).toEqual(['data: {"a":1}\n\n', 'data: x\n\n'])
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
    for (const file of ['deepseek-reasoner_stream_usage_2025-07.sse', 'openrouter_claude_stream_reasoning_processing-comments_cost.sse', 'groq_gpt-oss-120b_stream_x_groq-usage.sse']) {
      const bytes = new Uint8Array(readFixture(file))
      for (const [seed, max] of [[1, 7], [2, 300], [3, 5000]] as const) {
        const out = await run(cut(bytes, seed, max))
        expect(out.join('')).toBe(dec.decode(bytes))
        // Every chunk but possibly the last ends exactly at an event boundary.
        for (const chunk of out.slice(0, -1)) expect(chunk.endsWith('\n\n')).toBe(true)
        expect(out.length).toBe(dec.decode(bytes).split('\n\n').filter(Boolean).length)
      }
    }
  })

  it('fails with a clear upstream error when one event exceeds the limit', async () => {
    const big = enc.encode(`data: ${'x'.repeat(5000)}`)
    const error = await run(cut(big, 4, 512), 4096).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ProviderError)
    expect((error as ProviderError).kind).toBe('upstream')
    expect((error as ProviderError).message).toMatch(/event larger than/)
  })
})
