import { z } from 'zod'

/** USD per 1M tokens. */
export const PriceSchema = z.strictObject({
  input: z.number().nonnegative(),
  cached_input: z.number().nonnegative().optional(),
  output: z.number().nonnegative(),
})
export type Price = z.infer<typeof PriceSchema>

/** Latency profile of a model served by the built-in demo simulator. */
export const SimulationSchema = z.strictObject({
  ttft_ms: z.number().int().min(0).max(60_000).default(300),
  tokens_per_s: z.number().positive().max(100_000).default(60),
  reasoning_tokens: z.number().int().min(0).max(20_000).default(0),
  answer_tokens: z.number().int().min(1).max(50_000).optional(),
})
export type Simulation = z.infer<typeof SimulationSchema>

const ModelIdSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\s]+$/, 'model ids cannot contain spaces')

export const ModelSchema = z.union([
  ModelIdSchema,
  z.strictObject({
    id: ModelIdSchema,
    label: z.string().min(1).max(100).optional(),
    price: PriceSchema.optional(),
    simulate: SimulationSchema.optional(),
    /** Reads images in prompts: a run with images refuses a `false` target; unset means unknown (allowed). */
    vision: z.boolean().optional(),
  }),
])

/** Credentials in a URL; false for an unparsable one, which the url check has already reported. */
function hasCredentials(u: string): boolean {
  // zod runs this refinement even after the url check failed, so it must not throw on "/v1".
  if (!URL.canParse(u)) return false
  const url = new URL(u)
  return url.username !== '' || url.password !== ''
}

export const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .refine((u) => !hasCredentials(u), 'must not contain user:password@')

export const ProviderSchema = z
  .strictObject({
    name: z.string().min(1).max(100).optional(),
    /** `demo` marks the simulator that Juxta serves itself; it needs no base_url and no key. */
    builtin: z.literal('demo').optional(),
    base_url: httpUrl.optional(),
    api_key: z
      .string()
      .min(1)
      .max(8192)
      .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
      .optional(),
    /** Local servers (Ollama, llama.cpp) take no key. */
    requires_key: z.boolean().optional(),
    /** Provider id in the price book; defaults to the provider id. */
    pricing: z.string().min(1).max(100).optional(),
    /** Per-request timeouts that override `run`. */
    idle_timeout_ms: z.number().int().positive().optional(),
    models: z.array(ModelSchema).min(1, 'list at least one model'),
  })
  .superRefine((p, ctx) => {
    if (!p.builtin && !p.base_url) ctx.addIssue({ code: 'custom', path: ['base_url'], message: 'is required' })
    if (p.builtin && p.base_url)
      ctx.addIssue({ code: 'custom', path: ['base_url'], message: 'cannot be set on a builtin provider' })
    const seen = new Set<string>()
    p.models.forEach((m, i) => {
      const id = typeof m === 'string' ? m : m.id
      if (seen.has(id)) ctx.addIssue({ code: 'custom', path: ['models', i], message: `duplicate model id "${id}"` })
      seen.add(id)
      if (typeof m !== 'string' && m.simulate && !p.builtin) {
        ctx.addIssue({
          code: 'custom',
          path: ['models', i, 'simulate'],
          message: 'only the builtin demo provider simulates models',
        })
      }
    })
  })
export type ProviderConfig = z.infer<typeof ProviderSchema>

export const RunSettingsSchema = z.strictObject({
  /** Longest silence between two upstream chunks before a target times out. */
  idle_timeout_ms: z.number().int().positive().default(60_000),
  /** Longest a target may take in all. */
  deadline_ms: z.number().int().positive().default(600_000),
  /** Time allowed for response headers (the SDK's own timeout). */
  connect_timeout_ms: z.number().int().positive().default(30_000),
  /** Retries before the first token (429, 5xx, connection errors). Never after text was shown. */
  max_retries: z.number().int().min(0).max(5).default(2),
  /** A Retry-After longer than this is not waited for: the target fails with rate_limit. */
  retry_after_cap_ms: z.number().int().min(0).default(10_000),
  max_targets: z.number().int().min(1).max(64).default(16),
  /** Answer plus reasoning kept per target; past it the target stops reading and says so. */
  max_output_chars: z.number().int().min(1000).default(4_000_000),
  /** Runs in flight at once (compares, follow-ups, column retries); past it a new one is refused with 429. */
  max_concurrent_runs: z.number().int().min(1).max(10_000).default(64),
})
export type RunSettings = z.infer<typeof RunSettingsSchema>

const ProviderIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'provider ids use a-z, 0-9 and "-" (max 40)')

export const ConfigSchema = z.strictObject({
  run: RunSettingsSchema.default(RunSettingsSchema.parse({})),
  providers: z.record(ProviderIdSchema, ProviderSchema),
})
export type AppConfig = z.infer<typeof ConfigSchema>
