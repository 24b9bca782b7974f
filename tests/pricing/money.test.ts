import { describe, expect, it } from 'vitest'
import {
  costOf,
  formatMultiple,
  formatPico,
  formatUsd,
  picoPerToken,
  picoToUsd,
  usdToPico,
} from '../../src/pricing/money.ts'
import type { Usage } from '../../src/domain/types.ts'

const usage = (input: number, cached: number, output: number, reasoning = 0): Usage => ({
  input_tokens: input,
  cached_input_tokens: cached,
  output_tokens: output,
  reasoning_tokens: reasoning,
  source: 'reported',
})

describe('exact money', () => {
  it('turns every list-price precision into whole pico-dollars per token', () => {
    expect(picoPerToken(0.0028)).toBe(2800n)
    expect(picoPerToken(0.003625)).toBe(3625n)
    expect(picoPerToken(0.135)).toBe(135000n)
    expect(picoPerToken(60)).toBe(60000000n)
    // Binary noise in library data rounds to the intended price.
    expect(picoPerToken(0.18000000000000002)).toBe(180000n)
  })

  it('prices uncached, cached and output tokens each at their own rate, with no float drift', () => {
    // 175 × 0.28 + 320 × 0.028 = 57.96 µ$ in; 144 × 0.42 = 60.48 µ$ out.
    const parts = costOf(usage(495, 320, 144, 118), { input: 0.28, cached_input: 0.028, output: 0.42 })
    expect(parts).toEqual({ input: 57_960_000n, output: 60_480_000n, total: 118_440_000n })
    expect(picoToUsd(parts!.total)).toBe(0.00011844)
  })

  it('sums many tiny costs exactly where floats would drift', () => {
    const one = costOf(usage(1, 0, 0), { input: 0.1, cached_input: 0.1, output: 0 })!.total
    let sum = 0n
    let float = 0
    for (let i = 0; i < 1_000_000; i++) {
      sum += one
      float += 0.1 / 1e6
    }
    expect(picoToUsd(sum)).toBe(0.1)
    expect(float).not.toBe(0.1) // the reason amounts are BigInt
  })

  it('bills reasoning apart only when a model prices it apart', () => {
    const same = costOf(usage(0, 0, 100, 40), { input: 1, cached_input: 1, output: 8 })!
    const apart = costOf(usage(0, 0, 100, 40), { input: 1, cached_input: 1, output: 8, reasoning_output: 3 })!
    expect(same.output).toBe(800_000_000n)
    expect(apart.output).toBe(60n * 8_000_000n + 40n * 3_000_000n)
  })

  it('has no cost without token counts', () => {
    expect(costOf({ ...usage(1, 0, 1), output_tokens: null }, { input: 1, cached_input: 1, output: 1 })).toBeNull()
  })

  it('round-trips per-request amounts between USD and pico exactly', () => {
    for (const pico of [1n, 1_300_000n, 118_440_000n, 4_358_250_000n, 75_000_000_000n]) {
      expect(usdToPico(picoToUsd(pico))).toBe(pico)
    }
  })
})

describe('formatting', () => {
  it('shows sub-cent costs with significant digits, never as $0.00', () => {
    expect(formatUsd(0.00011844)).toBe('$0.000118')
    expect(formatUsd(0.000669)).toBe('$0.000669')
    expect(formatUsd(0.00435825)).toBe('$0.00436')
    expect(formatUsd(0.0000028)).toBe('$0.0000028')
    expect(formatUsd(0.000000000001)).toBe('$0.000000000001')
    expect(formatUsd(1e-15)).toBe('<$0.000000000001')
    expect(formatPico(1n)).toBe('$0.000000000001')
  })

  it('shows cents from a dollar up and keeps two decimals below', () => {
    expect(formatUsd(0.5)).toBe('$0.50')
    expect(formatUsd(0.075)).toBe('$0.075')
    expect(formatUsd(0.01)).toBe('$0.01')
    expect(formatUsd(1)).toBe('$1.00')
    expect(formatUsd(27.4)).toBe('$27.40')
    expect(formatUsd(1234.5678)).toBe('$1,234.57')
    // Rounding up across a dollar switches to cents.
    expect(formatUsd(0.99996)).toBe('$1.00')
  })

  it('renders unknown as unknown and only a true zero as zero', () => {
    expect(formatUsd(null)).toBe('unknown')
    expect(formatUsd(undefined)).toBe('unknown')
    expect(formatUsd(0)).toBe('$0')
    expect(formatUsd(-0.000669)).toBe('-$0.000669')
  })

  it('renders multiples with three significant digits', () => {
    expect(formatMultiple(27.372262773722628)).toBe('27.4×')
    expect(formatMultiple(1)).toBe('1.00×')
    expect(formatMultiple(109.48905)).toBe('109×')
    expect(formatMultiple(null)).toBe('—')
  })
})
