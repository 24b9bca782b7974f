import { z } from 'zod'
import type { Catalog } from '../providers/catalog.ts'
import { targetsSchema } from '../providers/targets-schema.ts'
import { MaxTokensSchema, PromptSchema, SystemSchema, TemperatureSchema } from '../domain/run-input.ts'
import { formatPath } from '../config/load.ts'
import type { ApiIssue } from '../http/api-error.ts'
import {
  DEFAULT_CONCURRENCY,
  MAX_CONCURRENCY,
  MAX_REPEATS,
  MAX_STUDY_CELLS,
  MAX_STUDY_NAME_CHARS,
  type StudyInput,
  type StudyPrompt,
} from './types.ts'

/** Most prompts in one study (each needs at least one cell). */
export const MAX_STUDY_PROMPTS = MAX_STUDY_CELLS
/** Highest budget accepted: above any real study, below where float dollars lose cents. */
export const MAX_STUDY_USD = 1_000_000

/** Syntax check of an `expected` string: null when fine, else the problem. */
export type ExpectedSyntax = (expected: string) => string | null

const nonEmptyPrompt = z
  .string()
  .refine((s) => s.trim().length > 0, 'must not be empty')
  .pipe(PromptSchema)

/**
 * POST /api/studies as the issue fixes it: `prompts` are strings or `{ prompt, system?, expected? }`; every
 * problem is named by its path (`prompts[3].expected`, `targets[1]`), nothing starts on any.
 */
export function studyBodySchema(catalog: Catalog, options: { maxTargets: number; expectedSyntax: ExpectedSyntax }) {
  const expected = z
    .string()
    .max(10_000)
    .superRefine((value, ctx) => {
      const problem = options.expectedSyntax(value)
      if (problem) ctx.addIssue({ code: 'custom', message: problem })
    })
  // A bare string is a prompt without system or check; as an object, each field's problem has its own path.
  const prompt = z.preprocess(
    (value) => (typeof value === 'string' ? { prompt: value } : value),
    z.strictObject({ prompt: nonEmptyPrompt, system: SystemSchema.optional(), expected: expected.optional() }),
  )
  return z
    .strictObject({
      name: z.string().max(MAX_STUDY_NAME_CHARS).optional(),
      prompts: z
        .array(prompt)
        .min(1, 'no prompts: give at least one')
        .max(MAX_STUDY_PROMPTS, `at most ${MAX_STUDY_PROMPTS} prompts`),
      targets: targetsSchema(catalog, { max: options.maxTargets, per: 'study' }),
      repeats: z.number().int().min(1).max(MAX_REPEATS).default(1),
      concurrency: z.number().int().min(1).max(MAX_CONCURRENCY).default(DEFAULT_CONCURRENCY),
      temperature: TemperatureSchema.optional(),
      max_tokens: MaxTokensSchema.optional(),
      max_usd: z.number().positive().max(MAX_STUDY_USD).optional(),
    })
    .superRefine((body, ctx) => {
      const cells = body.prompts.length * body.targets.length * body.repeats
      if (cells > MAX_STUDY_CELLS) {
        ctx.addIssue({
          code: 'custom',
          path: ['prompts'],
          message:
            `${body.prompts.length} prompts × ${body.targets.length} targets × ${body.repeats} repeats = ` +
            `${cells.toLocaleString('en-US')} cells, above the limit of ${MAX_STUDY_CELLS.toLocaleString('en-US')}`,
        })
      }
    })
}

export type StudyBody = z.infer<ReturnType<typeof studyBodySchema>>

/** The body as the engine's input: prompts as objects, parameters grouped, a name when none was given. */
export function toStudyInput(body: StudyBody): StudyInput {
  const prompts: StudyPrompt[] = body.prompts.map((p) => {
    const out: StudyPrompt = { prompt: p.prompt }
    if (p.system) out.system = p.system
    if (p.expected) out.expected = p.expected
    return out
  })
  const params: StudyInput['params'] = {}
  if (body.temperature !== undefined) params.temperature = body.temperature
  if (body.max_tokens !== undefined) params.max_tokens = body.max_tokens
  const input: StudyInput = {
    name: body.name?.trim() || defaultName(prompts),
    prompts,
    targets: body.targets,
    repeats: body.repeats,
    concurrency: body.concurrency,
    params,
  }
  if (body.max_usd !== undefined) input.max_usd = body.max_usd
  return input
}

function defaultName(prompts: StudyPrompt[]): string {
  const first = prompts[0]?.prompt.replace(/\s+/g, ' ').trim() ?? ''
  const head = first.length > 60 ? `${first.slice(0, 60)}…` : first
  return `${prompts.length} prompt${prompts.length === 1 ? '' : 's'}: ${head}`
}

export interface StudyLimits {
  catalog: () => Catalog
  settings: { max_targets: number }
  expectedSyntax: ExpectedSyntax
}

/** The one validation of a study body, for the API, the page and the CLI alike. */
export function validateStudy(
  deps: StudyLimits,
  value: unknown,
): { ok: true; input: StudyInput } | { ok: false; issues: ApiIssue[] } {
  const schema = studyBodySchema(deps.catalog(), {
    maxTargets: deps.settings.max_targets,
    expectedSyntax: deps.expectedSyntax,
  })
  const parsed = schema.safeParse(value)
  if (!parsed.success) {
    return { ok: false, issues: parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })) }
  }
  return { ok: true, input: toStudyInput(parsed.data) }
}
