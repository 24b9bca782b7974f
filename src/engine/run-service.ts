import { randomFillSync } from 'node:crypto'
import type { ChatMessage, ChatRequestParams, ContentPart } from '../providers/types.ts'
import { type ImageBlob, toDataUrl } from '../images/image-data.ts'
import { type EngineDeps, runCompare, runTargetAt, safeEmit } from './compare.ts'
import type { CompareRequest, RunEvent } from './types.ts'
import type { TargetResult } from '../domain/types.ts'

/** Where runs are kept. Storage implements it; the no-op one keeps nothing. */
export interface RunRecorder {
  started(request: CompareRequest, meta: RunMeta): void
  event(runId: string, event: RunEvent): void
  finished(runId: string, results: TargetResult[]): void
  /** Writes whatever is buffered (on shutdown). */
  flush?(): Promise<void>
  /** Stops waiting for a database that is away: what is still kept is given up (a shutdown that must end). */
  abandonRetries?(): void
  /** Why new runs must wait (too much kept for a database that is away), or null. */
  holdNewRuns?(): string | null
}

export interface RunMeta {
  prompt: string
  system: string | null
  /** The run this one continues (a follow-up turn), if any. */
  parent_id: string | null
  /** Images attached to this run's prompt, checked, in order. */
  images?: ImageBlob[]
  /** The study this run is a cell of. */
  study_id?: string
}

export const noRecorder: RunRecorder = { started() {}, event() {}, finished() {} }

export interface RunInput {
  prompt: string
  system?: string
  targets: string[]
  params: ChatRequestParams
  /** Images attached to the prompt (checked by compare-input), sent to every target with it. */
  images?: ImageBlob[]
  /** Earlier turns per target, for follow-ups: each column continues its own conversation. */
  history?: Record<string, ChatMessage[]>
  parentId?: string
}

export interface Run {
  run_id: string
  created_at: string
  results: TargetResult[]
}

const RANDOM_BYTES = 6
/** Random bytes drawn a few kilobytes at a time: one `randomBytes(6)` per run cost ~20 µs (`npm run bench`). */
const pool = Buffer.alloc(RANDOM_BYTES * 512)
let taken = pool.length

/** Sortable, URL-safe run ids: time first, then randomness (each pooled byte is used once). */
export function newRunId(now = Date.now()): string {
  if (taken + RANDOM_BYTES > pool.length) {
    randomFillSync(pool)
    taken = 0
  }
  const random = pool.toString('hex', taken, taken + RANDOM_BYTES)
  taken += RANDOM_BYTES
  return `${now.toString(36).padStart(9, '0')}${random}`
}

/**
 * The user message of a prompt: plain text, or OpenAI content parts (text first, then one `image_url` part per
 * image as a data URL) when images are attached.
 */
export function userMessage(prompt: string, images: ReadonlyArray<ImageBlob> = []): ChatMessage {
  if (images.length === 0) return { role: 'user', content: prompt }
  const parts: ContentPart[] = [{ type: 'text', text: prompt }]
  for (const image of images) parts.push({ type: 'image_url', image_url: { url: toDataUrl(image) } })
  return { role: 'user', content: parts }
}

export function buildRequest(input: RunInput, now = new Date()): CompareRequest {
  // Encoded once: the same parts array is shared by every target's messages (nothing mutates them).
  const prompt = userMessage(input.prompt, input.images)
  return {
    run_id: newRunId(now.getTime()),
    created_at: now,
    params: input.params,
    targets: input.targets.map((target) => {
      const earlier = input.history?.[target] ?? []
      const messages: ChatMessage[] = []
      if (input.system) messages.push({ role: 'system', content: input.system })
      messages.push(...earlier.filter((m) => m.role !== 'system'), prompt)
      return { target, messages }
    }),
  }
}

/** Runs a compare end to end: records it, streams its events to `onEvent`, returns the results. */
export async function executeRun(
  deps: EngineDeps & { recorder: RunRecorder },
  request: CompareRequest,
  meta: RunMeta,
  options: { signal: AbortSignal; onEvent?: (event: RunEvent) => void },
): Promise<Run> {
  const running = runCompare(deps, request, {
    signal: options.signal,
    onEvent: (event) => {
      deps.recorder.event(request.run_id, event)
      options.onEvent?.(event)
    },
  })
  // Recorded once the upstream requests are on their way (the write is synchronous): no event can reach
  // the recorder before this line, since every event comes from an upstream response.
  deps.recorder.started(request, meta)
  let results: TargetResult[] = []
  try {
    results = await running
  } finally {
    // runCompare contains every target's failure; should anything still escape, the run is closed all the same
    // rather than left `running` (undeletable) until the next restart.
    deps.recorder.finished(request.run_id, results)
  }
  return { run_id: request.run_id, created_at: request.created_at.toISOString(), results }
}

/**
 * Runs one target of a run again ("retry this column"), recorded like the run's own: a `restart` event (its text
 * starts over), its deltas, and its new result.
 */
export async function retryTarget(
  deps: EngineDeps & { recorder: RunRecorder },
  request: CompareRequest,
  index: number,
  options: { signal: AbortSignal; onEvent?: (event: RunEvent) => void },
): Promise<TargetResult> {
  const emit = safeEmit(deps, (event: RunEvent) => {
    deps.recorder.event(request.run_id, event)
    options.onEvent?.(event)
  })
  emit({ type: 'restart', index })
  // Priced at the retry's own start: a price can change within a day (off-peak hours).
  return runTargetAt(deps, { request, index, startedAt: new Date(), signal: options.signal, emit })
}
