import { z } from 'zod'
import { COST_REASONS } from '../domain/types.ts'
import { MAX_REQUEST_USD, MAX_TOKEN_COUNT } from '../domain/bounds.ts'
import { MAX_RUN_TARGETS, MaxTokensSchema, PromptSchema, SystemSchema, TemperatureSchema } from '../domain/run-input.ts'
import type { StoredRun } from './types.ts'
import type { VoteSource } from '../arena/types.ts'
import { IMAGE_TYPES, MAX_DATA_URL_CHARS, MAX_IMAGE_BYTES, MAX_IMAGES, toDataUrl } from '../images/image-data.ts'
import { presetFields } from '../presets/preset-rules.ts'
import type { ExportedPreset } from './preset-store.ts'

/**
 * The JSON export: a versioned envelope around runs in the shape GET /api/runs/:id returns. Version 2 adds an
 * optional `presets` array; a file without presets is still written as version 1, and both are read.
 */
export const EXPORT_FORMAT = 'juxta-runs'
export const EXPORT_VERSION = 1
export const EXPORT_VERSION_PRESETS = 2
const exportVersion = z.union([z.literal(EXPORT_VERSION), z.literal(EXPORT_VERSION_PRESETS)])

export const RunIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, "-" or "_"')
const TargetSchema = z
  .string()
  .max(300)
  .regex(/^[^/\s]+\/\S+$/, 'must be "provider/model"')
const isoTime = z.iso.datetime({ offset: true })
/** Run keys derive from the start time and stay exact integers in this range (see migration 3). */
const startTime = isoTime.refine(
  (s) => Date.parse(s) >= 0 && Date.parse(s) < Date.UTC(2200, 0, 1),
  'must be between 1970 and 2200',
)
const tokens = z.number().int().min(0).max(MAX_TOKEN_COUNT).nullable()
const millis = z.number().min(0).max(1e10).nullable()
const usd = z.number().min(0).max(1e9)
/** A request's amount: the same bound pricing keeps, so imported costs stay summable (see storage/spend.ts). */
const requestUsd = z.number().min(0).max(MAX_REQUEST_USD)

// Cost and price objects belong to the pricing module and may gain fields: known ones are checked, new
// ones are kept as they are (they are stored as JSON, never interpreted here).
const UnitPriceSchema = z.looseObject({ input: usd, cached_input: usd, output: usd, reasoning_output: usd.optional() })

const CostSchema = z
  .looseObject({
    input_usd: requestUsd.nullable(),
    output_usd: requestUsd.nullable(),
    total_usd: requestUsd.nullable(),
    source: z.enum(['computed', 'reported', 'unknown']),
    reason: z.enum(COST_REASONS).nullable(),
    price_source: z.string().max(500).nullable(),
    unit_price: UnitPriceSchema.nullable(),
    reported_usd: requestUsd.nullable().optional(),
    computed_usd: requestUsd.nullable().optional(),
    disagreement: z.boolean().optional(),
    usage_source: z.enum(['reported', 'estimated', 'none']).optional(),
    notes: z.array(z.string().max(1000)).max(20).optional(),
  })
  // An unknown cost is never a number, and a known one always is (never $0 for "unknown").
  .refine((c) => (c.source === 'unknown') === (c.total_usd === null), {
    message: 'total_usd must be null exactly when source is "unknown"',
    path: ['total_usd'],
  })

const ResultSchema = z.strictObject({
  target: TargetSchema,
  label: z.string().max(300),
  model: z.string().max(300).nullable(),
  status: z.enum(['ok', 'error', 'cancelled', 'timeout', 'running', 'interrupted']),
  text: z.string().max(10_000_000),
  reasoning: z.string().max(10_000_000),
  finish_reason: z.string().max(100).nullable(),
  usage: z.strictObject({
    input_tokens: tokens,
    cached_input_tokens: tokens,
    output_tokens: tokens,
    reasoning_tokens: tokens,
    source: z.enum(['reported', 'estimated', 'none']),
  }),
  cost: CostSchema,
  timing: z.strictObject({
    ttft_ms: millis,
    first_answer_ms: millis,
    total_ms: millis,
    output_tokens_per_s: z.number().min(0).max(1e9).nullable(),
  }),
  error: z
    .strictObject({
      kind: z.enum(['auth', 'rate_limit', 'quota', 'bad_request', 'upstream', 'network', 'timeout', 'cancelled']),
      message: z.string().max(5000),
      status: z.number().int().min(100).max(599).nullable(),
    })
    .nullable(),
  attempts: z.number().int().min(0).max(100),
})

const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 in lowercase hex')

/** A run's reference to one of its images; the bytes are in the file's `images`, once per image. */
const ImageRefSchema = z.strictObject({
  sha256: Sha256Schema,
  mime: z.enum(IMAGE_TYPES),
  bytes: z.number().int().min(1).max(MAX_IMAGE_BYTES),
})

/** Every image the runs reference, once, as a data URL keyed by its sha256 (checked like the API's on import). */
const ImagesSchema = z.record(Sha256Schema, z.string().max(MAX_DATA_URL_CHARS)).optional()

const VerdictSchema = z.enum(['A', 'B', 'TIE']).nullable()

/** A vote kept with a run (src/arena/types.ts): a person's over every target, or a judge's over one pair. */
const ExportedVoteSchema = z
  .strictObject({
    source: z
      .string()
      .regex(/^(human|judge:[^/\s]{1,100}\/\S{1,200})$/, 'must be "human" or "judge:provider/model"')
      .transform((s) => s as VoteSource),
    targets: z.array(TargetSchema).min(1).max(MAX_RUN_TARGETS),
    winner: z.string().max(300),
    blind: z.boolean(),
    created_at: isoTime,
    detail: z.strictObject({ verdicts: z.tuple([VerdictSchema, VerdictSchema]), judge_run_id: RunIdSchema }).optional(),
  })
  .refine(
    (v) =>
      v.targets.includes(v.winner) ||
      v.winner === 'tie' ||
      (v.source === 'human' ? v.winner === 'all_bad' : v.winner === 'no_verdict'),
    { message: 'winner must be one of the targets, "tie", "all_bad" (a person) or "no_verdict" (a judge)' },
  )

/**
 * Optional, so files from before the arena read unchanged: a blind run's letters (its targets in the order of
 * "Answer A", "B", …) and the votes on the run.
 */
const RunArenaSchema = z.strictObject({
  blind: z.array(TargetSchema).max(MAX_RUN_TARGETS).optional(),
  votes: z.array(ExportedVoteSchema).max(1000).optional(),
})

export const ExportedRunSchema = z
  .strictObject({
    run_id: RunIdSchema,
    created_at: startTime,
    finished_at: isoTime.nullable(),
    status: z.enum(['running', 'done', 'interrupted']),
    prompt: PromptSchema,
    system: SystemSchema.nullable(),
    params: z.strictObject({
      temperature: TemperatureSchema.optional(),
      max_tokens: MaxTokensSchema.optional(),
    }),
    targets: z.array(TargetSchema).max(MAX_RUN_TARGETS),
    parent_id: RunIdSchema.nullable(),
    conversation_id: RunIdSchema,
    turn: z.number().int().min(1).max(100_000),
    results: z.array(ResultSchema).max(MAX_RUN_TARGETS),
    images: z.array(ImageRefSchema).min(1).max(MAX_IMAGES).optional(),
    arena: RunArenaSchema.optional(),
  })
  .refine((r) => r.targets.length === r.results.length && r.targets.every((t, i) => r.results[i]?.target === t), {
    message: "targets must list the results' targets in order",
    path: ['targets'],
  })
  .refine(
    (r) =>
      (r.arena?.blind === undefined || [...r.arena.blind].sort().join('\n') === [...r.targets].sort().join('\n')) &&
      (r.arena?.votes ?? []).every((v) => v.targets.every((t) => r.targets.includes(t))),
    { message: "the blind letters and the votes must name the run's own targets", path: ['arena'] },
  )

/** A preset in an export: checked one by one on import, like runs. */
export const ExportedPresetSchema = z.strictObject({
  ...presetFields,
  created_at: startTime,
  updated_at: startTime,
})

const MAX_PRESETS = 10_000

export const ExportSchema = z.strictObject({
  format: z.literal(EXPORT_FORMAT),
  version: exportVersion,
  exported_at: isoTime,
  presets: z.array(ExportedPresetSchema).max(MAX_PRESETS).optional(),
  runs: z.array(ExportedRunSchema).max(1_000_000),
  images: ImagesSchema,
})

/**
 * The envelope alone: runs are checked one by one (ExportedRunSchema), so that one bad run is skipped and
 * reported instead of rejecting the whole file.
 */
export const ExportEnvelopeSchema = z
  .strictObject({
    format: z.literal(EXPORT_FORMAT),
    version: exportVersion,
    exported_at: isoTime,
    presets: z.array(z.unknown()).max(MAX_PRESETS).optional(),
    runs: z.array(z.unknown()).max(1_000_000),
    images: ImagesSchema,
  })
  .refine((f) => f.presets === undefined || f.version >= EXPORT_VERSION_PRESETS, {
    message: `presets need version ${EXPORT_VERSION_PRESETS}`,
    path: ['version'],
  })

/** Where an export reads the bytes of the images its runs reference. */
export type ImageSource = (sha256: string) => Promise<{ mime: string; data: Buffer } | null>

/**
 * The export as text chunks, one run per line, so a large history streams without being held in memory. Runs
 * reference their images by sha256; after the runs, `images` holds each referenced image once, one per line.
 */
export async function* exportJsonChunks(
  runs: AsyncIterable<StoredRun>,
  options: { exportedAt?: Date; presets?: ExportedPreset[]; images?: ImageSource } = {},
): AsyncGenerator<string> {
  const exportedAt = options.exportedAt ?? new Date()
  const images = options.images
  const version = options.presets ? EXPORT_VERSION_PRESETS : EXPORT_VERSION
  yield `{"format":${JSON.stringify(EXPORT_FORMAT)},"version":${version},"exported_at":"${exportedAt.toISOString()}",`
  if (options.presets) yield `"presets":${JSON.stringify(options.presets)},`
  yield '"runs":['
  let first = true
  const referenced = new Set<string>()
  for await (const run of runs) {
    for (const ref of run.images ?? []) referenced.add(ref.sha256)
    // The study link stays behind: studies are not part of the format (an imported run has no study).
    const { study_id: _study, ...exported } = run
    yield `${first ? '\n' : ',\n'}${JSON.stringify(exported)}`
    first = false
  }
  if (referenced.size === 0 || !images) {
    yield '\n]}\n'
    return
  }
  yield '\n],"images":{'
  let firstImage = true
  for (const sha256 of referenced) {
    const image = await images(sha256)
    // Deleted since its run was read: the import then skips that run, named, instead of failing the file.
    if (!image) continue
    yield `${firstImage ? '\n' : ',\n'}${JSON.stringify(sha256)}:${JSON.stringify(toDataUrl(image))}`
    firstImage = false
  }
  yield '\n}}\n'
}
