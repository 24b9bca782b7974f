import { afterEach, describe, expect, it, vi } from 'vitest'
import { AfterCut } from '../../src/engine/after-cut.ts'

afterEach(() => {
  vi.useRealTimers()
})

describe('AfterCut', () => {
  it('holds every waiter while cuts keep arriving, then releases them all together', async () => {
    vi.useFakeTimers()
    const cut = new AfterCut(40)
    const released: number[] = []
    const waits: Array<Promise<void>> = []
    for (let i = 0; i < 4; i++) {
      // A cut every 20 ms: each comes before 40 ms of quiet are over.
      if (i > 0) await vi.advanceTimersByTimeAsync(20)
      waits.push(cut.wait().then(() => void released.push(i)))
    }
    await vi.advanceTimersByTimeAsync(39)
    expect(released).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    await Promise.all(waits)
    expect(released).toEqual([0, 1, 2, 3])
  })

  it('serves later cuts after a release', async () => {
    vi.useFakeTimers()
    const cut = new AfterCut(5)
    const first = cut.wait()
    await vi.advanceTimersByTimeAsync(5)
    await first
    let second = false
    const next = cut.wait().then(() => {
      second = true
    })
    await vi.advanceTimersByTimeAsync(4)
    expect(second).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    await next
    expect(second).toBe(true)
  })
})
