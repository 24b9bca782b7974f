import type { PriceQuery, Pricer } from './types.ts'
import type { Cost } from '../domain/types.ts'
import { unknownCost } from '../domain/types.ts'
import { computedCost } from './cost.ts'

export { computedCost } from './cost.ts'

/** Prices only from a model's explicit `price:` in the config (the first layer of PriceBook). */
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
