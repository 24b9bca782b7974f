import type { ModelEntry } from '../providers/types.ts'
import { priceOverrides } from '../../config/price-overrides.ts'
import type { PriceQuery, Pricer } from './types.ts'
import type { Cost, UnitPrice } from '../domain/types.ts'
import { unknownCost } from '../domain/types.ts'
import { computedCost, withReportedCost } from './cost.ts'
import { libraryPrice } from './library-book.ts'
import { resolveOverride, type PriceOverrides } from './schedule.ts'

export interface PriceLookupQuery {
  providerId: string
  /** Price-book provider id (config `pricing`, defaults to the provider id). */
  pricingProvider: string
  builtin?: 'demo'
  model: ModelEntry
  /** The model id the upstream answered with; tried when the requested id has no price. */
  reportedModel: string | null
  /** Request start: prices depend on the date and, for some providers, the time of day. */
  at: Date
  /** The whole prompt's tokens, for tiered prices. */
  inputTokens: number
}

export type PriceLookup =
  | { found: true; price: UnitPrice; source: string }
  | { found: false; reason: 'no-price' | 'no-price-at-date' | 'demo-without-price' }

export interface PriceBookOptions {
  /** Juxta's dated overrides; the shipped table unless replaced (tests). */
  overrides?: PriceOverrides
  /** Consult @pydantic/genai-prices after the overrides (default true). */
  library?: boolean
}

/**
 * The price book: a model's own `price:` in the user's config, then Juxta's dated overrides, then the
 * @pydantic/genai-prices bundle, always at the request's instant. Looks up the requested model id first and
 * the id the upstream reported second (dated snapshots, aliases the provider resolved). Amounts are exact
 * integer pico-dollars; see money.ts.
 */
export class PriceBook implements Pricer {
  private readonly overrides: PriceOverrides
  private readonly useLibrary: boolean

  constructor(options: PriceBookOptions = {}) {
    this.overrides = options.overrides ?? priceOverrides
    this.useLibrary = options.library ?? true
  }

  lookup(q: PriceLookupQuery): PriceLookup {
    const own = q.model.price
    if (own) {
      return {
        found: true,
        price: { input: own.input, cached_input: own.cached_input ?? own.input, output: own.output },
        source: `config: ${q.providerId}/${q.model.id}`,
      }
    }
    // Simulated models cost nothing real: only an explicit config price may give them a figure.
    if (q.builtin === 'demo') return { found: false, reason: 'demo-without-price' }

    const requested = q.model.id.trim()
    const reported = q.reportedModel?.trim()
    const ids = reported && reported.toLowerCase() !== requested.toLowerCase() ? [requested, reported] : [requested]
    let knownButNotThen = false
    for (const id of ids) {
      const via = id === requested ? '' : ` (by reported model ${id})`
      const hit = resolveOverride(this.overrides, q.pricingProvider, id, q.at)
      if (hit.kind === 'price') return { found: true, price: hit.price, source: `juxta overrides: ${hit.source}${via}` }
      // An overridden id is owned by the overrides for all dates: the library's stale entry must not answer.
      if (hit.kind === 'not-at-date') {
        knownButNotThen = true
        continue
      }
      if (!this.useLibrary) continue
      const lib = libraryPrice(q.pricingProvider, id, q.at, q.inputTokens)
      if (lib) return { found: true, price: lib.price, source: `${lib.source}${via}` }
    }
    return { found: false, reason: knownButNotThen ? 'no-price-at-date' : 'no-price' }
  }

  price(query: PriceQuery): Cost {
    const lookup = this.lookup({
      providerId: query.providerId,
      pricingProvider: query.pricingProvider,
      builtin: query.builtin,
      model: query.model,
      reportedModel: query.reportedModel,
      at: query.at,
      inputTokens: query.usage.input_tokens ?? 0,
    })
    const computed = lookup.found ? computedCost(query, lookup.price, lookup.source) : unknownCost(lookup.reason)
    if (query.reportedCostUsd === null || query.builtin === 'demo') return computed
    return withReportedCost(computed, query.reportedCostUsd, query.providerId)
  }
}
