import type { TargetResult } from '../domain/types.ts'
import { picoToUsd, ratio, usdToPico, type Pico } from './money.ts'

/** What the comparison figures need from each result. */
export type SummaryInput = Pick<TargetResult, 'target' | 'status' | 'cost' | 'timing'>

/** One target's figures, relative to the best of the run. */
export interface TargetFigures {
  target: string
  /** The request's total cost (provider-reported or computed); null when unknown, never 0 for unknown. */
  cost_usd: number | null
  /** Cost ÷ the cheapest ranked cost (4 significant digits); null when not ranked or the cheapest was free. */
  cost_multiple: number | null
  /** Why the target is left out of the cost ranking: the cost's reason (`no-price`, ...) or `status: error`. */
  cost_excluded: string | null
  /** The cost rests on Juxta's tokenizer counts, not on usage the upstream reported. */
  cost_estimated: boolean
  /** Projected cost of 1,000 requests like this one (exact: 1,000 × the per-request amount). */
  per_1000_usd: number | null
  total_ms: number | null
  /** Total latency ÷ the fastest ranked one (4 significant digits). */
  latency_multiple: number | null
  ttft_ms: number | null
  ttft_multiple: number | null
  /** Why the target is left out of the speed rankings (`status: timeout`, ...). */
  latency_excluded: string | null
  /** True for every target tied at the lowest cost / latency / TTFT. */
  cheapest: boolean
  fastest: boolean
  fastest_ttft: boolean
}

export interface RunFigures {
  cheapest: { target: string; total_usd: number } | null
  /** By total latency (request start to last token). */
  fastest: { target: string; total_ms: number } | null
  /** By time to first token (reasoning or answer). */
  fastest_ttft: { target: string; ttft_ms: number } | null
  /** In the order of the results given. */
  targets: TargetFigures[]
}

const sig4 = (n: number) => Number(n.toPrecision(4))

function minBy<T>(items: T[], key: (t: T) => number | bigint): T | undefined {
  let best: T | undefined
  for (const item of items) if (best === undefined || key(item) < key(best)) best = item
  return best
}

/**
 * The comparison figures of one run: cheapest and fastest target, every target's cost and latency as a
 * multiple of the best, and the cost of 1,000 such requests. Only targets that finished (`ok`) are ranked;
 * a partial answer's cost or time would flatter it. Pure: the same results always give the same summary.
 */
export function summarizeRun(results: ReadonlyArray<SummaryInput>): RunFigures {
  const rows = results.map((r) => {
    const ok = r.status === 'ok'
    // Stored and imported costs come back through JSON: anything not finite is no amount.
    const known =
      r.cost.source !== 'unknown' && typeof r.cost.total_usd === 'number' && Number.isFinite(r.cost.total_usd)
    const pico: Pico | null = known ? usdToPico(r.cost.total_usd!) : null
    return {
      r,
      ok,
      pico: ok ? pico : null,
      costExcluded: !ok ? `status: ${r.status}` : known ? null : (r.cost.reason ?? 'no-price'),
      total: ok ? r.timing.total_ms : null,
      ttft: ok ? r.timing.ttft_ms : null,
    }
  })

  const cheapest = minBy(
    rows.filter((x) => x.pico !== null),
    (x) => x.pico!,
  )
  const fastest = minBy(
    rows.filter((x) => x.total !== null),
    (x) => x.total!,
  )
  const fastestTtft = minBy(
    rows.filter((x) => x.ttft !== null),
    (x) => x.ttft!,
  )
  const minPico = cheapest?.pico ?? null
  const minTotal = fastest?.total ?? null
  const minTtft = fastestTtft?.ttft ?? null

  const targets = rows.map((x): TargetFigures => {
    const costMultiple =
      x.pico === null || minPico === null
        ? null
        : minPico === 0n
          ? x.pico === 0n
            ? 1
            : null
          : sig4(ratio(x.pico, minPico))
    return {
      target: x.r.target,
      cost_usd: x.r.cost.source === 'unknown' ? null : x.r.cost.total_usd,
      cost_multiple: costMultiple,
      cost_excluded: x.costExcluded,
      cost_estimated: x.r.cost.usage_source === 'estimated' || x.r.cost.reason === 'estimated-usage',
      per_1000_usd: x.pico === null ? null : picoToUsd(x.pico * 1000n),
      total_ms: x.r.timing.total_ms,
      latency_multiple: x.total === null || !minTotal ? null : sig4(x.total / minTotal),
      ttft_ms: x.r.timing.ttft_ms,
      ttft_multiple: x.ttft === null || !minTtft ? null : sig4(x.ttft / minTtft),
      latency_excluded: x.ok ? null : `status: ${x.r.status}`,
      cheapest: x.pico !== null && x.pico === minPico,
      fastest: x.total !== null && x.total === minTotal,
      fastest_ttft: x.ttft !== null && x.ttft === minTtft,
    }
  })

  return {
    cheapest: cheapest ? { target: cheapest.r.target, total_usd: cheapest.r.cost.total_usd! } : null,
    fastest: fastest ? { target: fastest.r.target, total_ms: fastest.total! } : null,
    fastest_ttft: fastestTtft ? { target: fastestTtft.r.target, ttft_ms: fastestTtft.ttft! } : null,
    targets,
  }
}
