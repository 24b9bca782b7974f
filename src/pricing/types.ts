import type { ModelEntry } from '../providers/types.ts'
import type { Cost, Usage } from '../domain/types.ts'

export interface PriceQuery {
  providerId: string
  /** Price-book provider id (config `pricing`, defaults to the provider id). */
  pricingProvider: string
  builtin?: 'demo'
  model: ModelEntry
  reportedModel: string | null
  usage: Usage
  reportedCostUsd: number | null
  /** Request start: prices depend on the date and, for some providers, the hour. */
  at: Date
}

export interface Pricer {
  price(query: PriceQuery): Cost
}
