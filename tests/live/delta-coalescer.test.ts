import { describe, expect, it } from 'vitest'
import { DeltaCoalescer } from '../../src/live/delta-coalescer.ts'
import type { LiveEvent } from '../../src/live/types.ts'

const delta = (index: number, kind: 'text' | 'reasoning', text: string): LiveEvent => ({
  type: 'delta',
  index,
  kind,
  text,
})

describe('DeltaCoalescer', () => {
  it('merges each column and kind in first-seen order; another event writes them first', () => {
    const written: Array<[string, LiveEvent]> = []
    const c = new DeltaCoalescer((runId, event) => written.push([runId, event]), 60_000)
    c.append('r1', delta(1, 'reasoning', 'Th'))
    c.append('r1', delta(0, 'text', 'He'))
    c.append('r2', delta(0, 'text', 'other run'))
    c.append('r1', delta(1, 'reasoning', 'ink'))
    c.append('r1', delta(1, 'text', 'Hi'))
    c.append('r1', delta(0, 'text', 'llo'))
    expect(written).toEqual([])
    c.append('r1', { type: 'first-token', index: 0, ttft_ms: 5 })
    expect(written).toEqual([
      ['r1', delta(1, 'reasoning', 'Think')],
      ['r1', delta(0, 'text', 'Hello')],
      ['r1', delta(1, 'text', 'Hi')],
      ['r1', { type: 'first-token', index: 0, ttft_ms: 5 }],
    ])
    c.append('r1', delta(0, 'text', '!'))
    c.flushAll()
    expect(written.slice(4)).toEqual([
      ['r2', delta(0, 'text', 'other run')],
      ['r1', delta(0, 'text', '!')],
    ])
  })

  it('writes a window when it ends', async () => {
    const written: LiveEvent[] = []
    const c = new DeltaCoalescer((_, event) => written.push(event), 5)
    c.append('r', delta(0, 'text', 'a'))
    c.append('r', delta(0, 'text', 'b'))
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(written).toEqual([delta(0, 'text', 'ab')])
  })
})
