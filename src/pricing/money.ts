import type { Usage } from '../engine/types.ts'
import type { UnitPrice } from './types.ts'

/**
 * Exact money arithmetic. A price in USD per 1M tokens equals micro-dollars per token; times 1e6 it is an
 * integer number of pico-dollars per token for every list price with up to six decimals (0.003625, 0.0028).
 * Amounts are summed as BigInt pico-dollars and turned into a USD number only at the edge.
 */
export type Pico = bigint

export function picoPerToken(usdPerMillion: number): Pico {
  return BigInt(Math.round(usdPerMillion * 1e6))
}

/** One correctly rounded division: 1300000n pico is exactly the double nearest to $0.0000013. */
export function picoToUsd(pico: Pico): number {
  return Number(pico) / 1e12
}

export function usdToPico(usd: number): Pico {
  return BigInt(Math.round(usd * 1e12))
}

export interface CostParts {
  input: Pico
  output: Pico
  total: Pico
}

/** Uncached input, cached input and output (reasoning included), each at its own price. */
export function costOf(usage: Usage, price: UnitPrice): CostParts | null {
  if (usage.input_tokens === null || usage.output_tokens === null) return null
  const cached = BigInt(usage.cached_input_tokens ?? 0)
  const uncached = BigInt(usage.input_tokens) - cached
  const input = uncached * picoPerToken(price.input) + cached * picoPerToken(price.cached_input)
  const output = BigInt(usage.output_tokens) * picoPerToken(price.output)
  return { input, output, total: input + output }
}
