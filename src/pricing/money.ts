import type { Usage } from '../domain/types.ts'
import type { UnitPrice } from '../domain/types.ts'
import { MAX_REQUEST_USD } from '../domain/bounds.ts'

/**
 * Exact money arithmetic. A price in USD per 1M tokens equals micro-dollars per token; times 1e6 it is an
 * integer number of pico-dollars per token for every list price with up to six decimals (0.003625, 0.0028).
 * Amounts are summed as BigInt pico-dollars and turned into a USD number only at the edge.
 */
export type Pico = bigint

export const PICO_PER_USD = 1_000_000_000_000n

export const MAX_REQUEST_PICO = BigInt(MAX_REQUEST_USD) * PICO_PER_USD

/**
 * Rounds to the nearest pico-dollar per token, which also absorbs binary noise in library data such as
 * 0.18000000000000002 ($0.000001 per 1M tokens is far below any list price's precision).
 */
export function picoPerToken(usdPerMillion: number): Pico {
  return BigInt(Math.round(usdPerMillion * 1e6))
}

/** One correctly rounded division: 1300000n pico is exactly the double nearest to $0.0000013. */
export function picoToUsd(pico: Pico): number {
  return Number(pico) / 1e12
}

/** Inverse of picoToUsd for amounts below ~$9,000 (2^53 pico), i.e. any per-request cost. Throws on NaN/±∞. */
export function usdToPico(usd: number): Pico {
  if (!Number.isFinite(usd)) throw new RangeError(`not an amount of money: ${usd}`)
  return BigInt(Math.round(usd * 1e12))
}

/** A per-request amount as pico-dollars, or null when it is not one (NaN, ±∞, negative, over MAX_REQUEST_USD). */
export function requestPico(usd: number | null | undefined): Pico | null {
  if (typeof usd !== 'number' || !Number.isFinite(usd) || usd < 0 || usd > MAX_REQUEST_USD) return null
  return usdToPico(usd)
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
  let output = BigInt(usage.output_tokens) * picoPerToken(price.output)
  if (price.reasoning_output !== undefined && usage.reasoning_tokens) {
    const reasoning = BigInt(usage.reasoning_tokens)
    output += reasoning * (picoPerToken(price.reasoning_output) - picoPerToken(price.output))
  }
  return { input, output, total: input + output }
}

/** `a / b` as a plain number, for display multiples such as "27.4×". */
export function ratio(a: Pico, b: Pico): number {
  return Number(a) / Number(b)
}

const groupThousands = (digits: string) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',')

/** Rounds half away from zero to a multiple of `unit`. */
function roundTo(value: Pico, unit: Pico): Pico {
  return ((value + unit / 2n) / unit) * unit
}

/**
 * Renders an exact amount. From $1 up: cents with thousands separators ("$1,234.57"). Below $1: `significant`
 * significant digits, trailing zeros trimmed to at least two decimals ("$0.50", "$0.000669", "$0.0000028").
 * A non-zero amount never renders as "$0.00"; a true zero renders as "$0".
 */
export function formatPico(pico: Pico, significant = 3): string {
  if (pico < 0n) return `-${formatPico(-pico, significant)}`
  // A true zero reads "$0", so that "$0.00" never appears, not even for a free model.
  if (pico === 0n) return '$0'
  let decimals = Math.min(12, Math.max(2, 12 - pico.toString().length + significant))
  let rounded = roundTo(pico, 10n ** BigInt(12 - decimals))
  if (rounded >= PICO_PER_USD) {
    decimals = 2
    rounded = roundTo(pico, 10n ** 10n)
  }
  const whole = rounded / PICO_PER_USD
  const fraction = (rounded % PICO_PER_USD).toString().padStart(12, '0').slice(0, decimals)
  const trimmed = fraction.replace(/0+$/, '').padEnd(2, '0')
  return `$${groupThousands(whole.toString())}.${trimmed}`
}

/** Renders a USD number from a Cost; null (unknown) renders as "unknown", never as $0. */
export function formatUsd(usd: number | null | undefined, significant = 3): string {
  if (usd === null || usd === undefined || !Number.isFinite(usd)) return 'unknown'
  const pico = usdToPico(usd)
  if (pico === 0n && usd !== 0) return usd > 0 ? '<$0.000000000001' : '>-$0.000000000001'
  return formatPico(pico, significant)
}

/** Three significant digits: "1.25×", "27.4×", "143×". */
export function formatMultiple(multiple: number | null | undefined): string {
  if (multiple === null || multiple === undefined || !Number.isFinite(multiple)) return '—'
  const digits = multiple >= 100 ? 0 : multiple >= 10 ? 1 : 2
  return `${multiple.toFixed(digits)}×`
}
