import { z } from 'zod'
import type { Catalog } from '../providers/catalog.ts'
import { formatPath } from '../config/load.ts'

const schemas = new WeakMap<Catalog, ReturnType<typeof compareBodySchema>>()

/**
 * The compare schema for the current catalog, built once per catalog: building it costs more than a whole
 * relayed request, and the catalog only changes when settings do.
 */
export function compareSchemaFor(catalog: Catalog, maxTargets: number): ReturnType<typeof compareBodySchema> {
  let schema = schemas.get(catalog)
  if (!schema) schemas.set(catalog, (schema = compareBodySchema(catalog, maxTargets)))
  return schema
}

/** A JSON request body, or undefined when it is not JSON (the caller answers 400). */
export async function readJson(req: { json(): Promise<unknown> }): Promise<{ ok: true; value: unknown } | { ok: false }> {
  try {
    return { ok: true, value: await req.json() }
  } catch {
    return { ok: false }
  }
}

export const NOT_JSON = { error: { message: 'request body must be JSON', issues: [] } }

/** The body of POST /api/compare and /api/estimate. */
export function compareBodySchema(catalog: Catalog, maxTargets: number) {
  return z.strictObject({
    prompt: z.string().refine((s) => s.trim().length > 0, 'must not be empty').pipe(z.string().max(500_000)),
    system: z.string().max(200_000).optional(),
    targets: z
      .array(z.string())
      .min(1, 'pick at least one target')
      .max(maxTargets, `at most ${maxTargets} targets per run`)
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
      }),
    temperature: z.number().min(0).max(2).optional(),
    max_tokens: z.number().int().min(1).max(1_000_000).optional(),
    stream: z.boolean().optional(),
  })
}

export type CompareBody = z.infer<ReturnType<typeof compareBodySchema>>

export interface InputIssue {
  path: string
  message: string
}

export function issuesOf(error: z.ZodError): InputIssue[] {
  return error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }))
}
