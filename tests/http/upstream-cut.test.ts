import { describe, expect, it } from 'vitest'
import { abortSoon, cutUpstreams, linkCuts, onCut, withoutStacks } from '../../src/http/upstream-cut.ts'

describe('upstream cuts', () => {
  it('runs the cuts registered under a linked signal, once, before the abort', async () => {
    const root = new AbortController()
    const attempt = AbortSignal.any([root.signal, new AbortController().signal])
    linkCuts(attempt, root.signal)
    const seen: string[] = []
    onCut(attempt, () => seen.push('a'))
    const remove = onCut(attempt, () => seen.push('removed'))
    onCut(root.signal, () => seen.push('b'))
    remove()
    root.signal.addEventListener('abort', () => seen.push('abort'))
    cutUpstreams(root.signal)
    cutUpstreams(root.signal)
    expect(seen).toEqual(['a', 'b'])
    abortSoon(root)
    expect(root.signal.aborted).toBe(false)
    await new Promise((r) => setTimeout(r, 300))
    expect(root.signal.aborted).toBe(true)
    expect(seen).toEqual(['a', 'b', 'abort'])
  })

  it('leaves the stack trace limit as it was, even when the function throws', () => {
    const before = Error.stackTraceLimit
    expect(() =>
      withoutStacks(() => {
        throw new Error('x')
      }),
    ).toThrow('x')
    expect(Error.stackTraceLimit).toBe(before)
    expect(withoutStacks(() => new Error('y').stack)).toBe('Error: y')
  })
})
