import { describe, expect, it } from 'vitest'
import {
  countInSegments,
  countInSegmentsFairly,
  countTextTokens,
  loadTokenCounter,
} from '../../src/tokens/token-count.ts'

/** Counts setImmediate turns of the event loop until stopped. */
function turnCounter() {
  let turns = 0
  let on = true
  const tick = () => {
    turns++
    if (on) setImmediate(tick)
  }
  setImmediate(tick)
  return () => {
    on = false
    return turns
  }
}

/** The cut points as first written: at the last space in the second half of each 2,000-character window. */
function referenceSegments(text: string): string[] {
  if (text.length <= 2000) return text ? [text] : []
  const out: string[] = []
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + 2000)
    if (end < text.length) {
      const space = text.lastIndexOf(' ', end)
      if (space > start + 1000) end = space
    }
    out.push(text.slice(start, end))
    start = end
  }
  return out
}

describe('estimating the tokens of a long answer', () => {
  const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i % 97}`).join(' ')
  const bySpaces = (s: string) => s.split(' ').filter(Boolean).length

  it('gives the same count as the synchronous segmented count', async () => {
    for (const text of ['', 'short', words(5000), 'x'.repeat(9000)]) {
      expect(await countInSegmentsFairly(text, bySpaces)).toBe(countInSegments(text, bySpaces))
    }
    const text = `${words(3000)} ${'y'.repeat(7000)}`
    expect(await countTextTokens(text)).toBe((await loadTokenCounter())(text))
  })

  it('cuts where it always did: at a late space, or hard where there is none', () => {
    const texts = [
      words(3000),
      'z'.repeat(7001),
      `${'a'.repeat(1500)} ${'b'.repeat(3000)} c`,
      `${words(500)} ${'q'.repeat(5000)}`,
    ]
    for (const text of texts) {
      const seen: string[] = []
      countInSegments(text, (s) => {
        seen.push(s)
        return 0
      })
      expect(seen).toEqual(referenceSegments(text))
    }
  })

  it('lets the event loop turn between slices, so the other columns keep streaming', async () => {
    const text = words(20_000)
    const stop = turnCounter()
    let segments = 0
    await countInSegmentsFairly(
      text,
      (s) => {
        segments++
        return bySpaces(s)
      },
      0,
    )
    const turns = stop()
    // A zero-length slice yields after every segment: the ticker ran between each of them.
    expect(segments).toBeGreaterThan(50)
    expect(turns).toBeGreaterThanOrEqual(segments - 1)
  })

  it('does not yield for a short answer', async () => {
    const stop = turnCounter()
    await countInSegmentsFairly('a short answer', bySpaces, 0)
    expect(stop()).toBe(0)
  })
})
