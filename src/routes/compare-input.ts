import type { Context } from 'hono'
import { z } from 'zod'
import type { Catalog } from '../providers/catalog.ts'
import { targetsSchema } from '../providers/targets-schema.ts'
import type { RunInput } from '../engine/run-service.ts'
import { formatPath } from '../config/load.ts'
import { type ApiIssue, apiError } from '../http/api-error.ts'
import { fanOutProblem, MAX_IMAGES, parseImageDataUrl } from '../images/image-data.ts'
import { MaxTokensSchema, PromptSchema, SystemSchema, TemperatureSchema } from '../domain/run-input.ts'

const schemas = new WeakMap<Catalog, ReturnType<typeof compareBodySchema>>()

/**
 * The compare schema for the current catalog, built once per catalog: building it costs more than a whole
 * relayed request, and the catalog only changes when settings do.
 */
export function compareSchemaFor(catalog: Catalog, maxTargets: number): ReturnType<typeof compareBodySchema> {
  let schema = schemas.get(catalog)
  if (!schema) {
    schema = compareBodySchema(catalog, maxTargets)
    schemas.set(catalog, schema)
  }
  return schema
}

/** A JSON request body, or undefined when it is not JSON (the caller answers 400). */
export async function readJson(req: {
  json(): Promise<unknown>
}): Promise<{ ok: true; value: unknown } | { ok: false }> {
  try {
    return { ok: true, value: await req.json() }
  } catch {
    return { ok: false }
  }
}

/** One image as a data URL, checked by its decoded content (magic bytes), its declared type and its size. */
const imageSchema = z.string().transform((url, ctx) => {
  const checked = parseImageDataUrl(url)
  if (checked.ok) return checked.image
  ctx.addIssue({ code: 'custom', message: checked.message })
  return z.NEVER
})

/** Why a target is refused for a run with images. */
export const cannotReadImages = (target: string) =>
  `"${target}" cannot read images (vision: false in config); remove it or the images`

/** The targets of a body that would be refused once images are attached (the page's estimate says so early). */
export function targetsBlindTo(catalog: Catalog, targets: string[]): string[] {
  return targets.filter((t) => catalog.find(t)?.model.vision === false)
}

/** The body of POST /api/compare and /api/estimate. */
export function compareBodySchema(catalog: Catalog, maxTargets: number) {
  return z
    .strictObject({
      prompt: z
        .string()
        .refine((s) => s.trim().length > 0, 'must not be empty')
        .pipe(PromptSchema),
      system: SystemSchema.optional(),
      targets: targetsSchema(catalog, { max: maxTargets, per: 'run' }),
      temperature: TemperatureSchema.optional(),
      max_tokens: MaxTokensSchema.optional(),
      stream: z.boolean().optional(),
      images: z.array(imageSchema).max(MAX_IMAGES, `at most ${MAX_IMAGES} images per prompt`).optional(),
    })
    .superRefine((body, ctx) => {
      // A model that cannot read images is refused by name before any upstream call; undeclared ones may try.
      if (!body.images?.length) return
      const fanOut = fanOutProblem(
        body.images.map((i) => i.data.length),
        body.targets.length,
      )
      if (fanOut) ctx.addIssue({ code: 'custom', path: ['images'], message: fanOut })
      body.targets.forEach((t, i) => {
        if (!targetsBlindTo(catalog, [t]).length) return
        ctx.addIssue({ code: 'custom', path: ['targets', i], message: cannotReadImages(t) })
      })
    })
}

export type CompareBody = z.infer<ReturnType<typeof compareBodySchema>>

/** A zod error's issues (or a list of them, e.g. an import's) as the API names them. */
export function issuesOf(error: { issues: ReadonlyArray<Pick<z.core.$ZodIssue, 'path' | 'message'>> }): ApiIssue[] {
  return error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }))
}

interface CompareLimits {
  catalog: () => Catalog
  settings: { max_targets: number }
}

/** The one validation of a compare body, for the API, the estimate and the page form alike. */
export function validateCompare(
  deps: CompareLimits,
  value: unknown,
): { ok: true; body: CompareBody } | { ok: false; issues: ApiIssue[] } {
  const parsed = compareSchemaFor(deps.catalog(), deps.settings.max_targets).safeParse(value)
  return parsed.success ? { ok: true, body: parsed.data } : { ok: false, issues: issuesOf(parsed.error) }
}

/** A JSON API route's compare body, or the answer to send instead: 400 when not JSON, 422 with the issues. */
export async function compareBodyOrError(
  c: Context,
  deps: CompareLimits,
  what: string,
): Promise<CompareBody | Response> {
  const raw = await readJson(c.req)
  if (!raw.ok) return apiError(c, 400, 'request body must be JSON')
  const checked = validateCompare(deps, raw.value)
  return checked.ok ? checked.body : apiError(c, 422, `invalid ${what} request`, checked.issues)
}

/** What the engine runs for a validated body; follow-ups add their history and parent. */
export function toRunInput(body: CompareBody, followUp: Pick<RunInput, 'history' | 'parentId'> = {}): RunInput {
  return {
    prompt: body.prompt,
    system: body.system,
    targets: body.targets,
    params: { temperature: body.temperature, max_tokens: body.max_tokens },
    ...(body.images?.length ? { images: body.images } : {}),
    ...followUp,
  }
}
