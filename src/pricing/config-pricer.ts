import type { Cost, PriceQuery, Pricer, UnitPrice } from './types.ts'
import { unknownCost } from './types.ts'
import { costOf, picoToUsd } from './money.ts'

/** Turns a unit price and usage into a Cost with provenance, or an unknown cost with its reason. */
export function computedCost(query: PriceQuery, price: UnitPrice, priceSource: string): Cost {
  if (query.usage.source === 'none') return unknownCost('no-usage')
  const parts = costOf(query.usage, price)
  if (!parts) return unknownCost('no-usage')
  return {
    input_usd: picoToUsd(parts.input),
    output_usd: picoToUsd(parts.output),
    total_usd: picoToUsd(parts.total),
    source: 'computed',
    reason: query.usage.source === 'estimated' ? 'estimated-usage' : null,
    price_source: priceSource,
    unit_price: price,
  }
}

/** Prices only from a model's explicit `price:` in the config. The full price book extends this. */
export class ConfigPricer implements Pricer {
  price(query: PriceQuery): Cost {
    const p = query.model.price
    if (!p) return unknownCost(query.builtin === 'demo' ? 'demo-without-price' : 'no-price')
    return computedCost(
      query,
      { input: p.input, cached_input: p.cached_input ?? p.input, output: p.output },
      `config: ${query.providerId}/${query.model.id}`,
    )
  }
}
