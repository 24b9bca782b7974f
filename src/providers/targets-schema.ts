import { z } from 'zod'
import type { Catalog } from './catalog.ts'

/**
 * The `targets` of a compare or a study: 1 to `max` distinct `provider/model` ids, each in the catalog and with a
 * key where one is needed. Issues point at the offending index.
 */
export function targetsSchema(catalog: Catalog, options: { max: number; per: 'run' | 'study' }) {
  return z
    .array(z.string())
    .min(1, 'pick at least one target')
    .max(options.max, `at most ${options.max} targets per ${options.per}`)
    .superRefine((targets, ctx) => {
      const seen = new Set<string>()
      targets.forEach((t, i) => {
        const entry = catalog.find(t)
        if (seen.has(t)) ctx.addIssue({ code: 'custom', path: [i], message: `duplicate target "${t}"` })
        else if (!entry) ctx.addIssue({ code: 'custom', path: [i], message: `unknown target "${t}"` })
        else if (entry.provider.keyStatus === 'missing') {
          ctx.addIssue({ code: 'custom', path: [i], message: `"${t}" needs an API key (see Settings)` })
        }
        seen.add(t)
      })
    })
}
