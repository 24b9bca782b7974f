import { Hono, type Context } from 'hono'
import { streamSSE } from 'hono/streaming'
import type { AppContext } from '../context.ts'
import { buildRequest } from '../engine/run-service.ts'
import { cannotReadImages, targetsBlindTo, toRunInput, validateCompare } from './compare-input.ts'
import { type FormBody, formToBody } from './compare-form.ts'
import { estimateBody } from './estimate.ts'
import { ComparePage, FormErrors, TargetPicker } from '../../views/compare-page.tsx'
import { PAGE_WAIT_MS, RECHECK_WAIT_MS } from '../providers/reachability.ts'
import { RunRegistry } from '../web/run-registry.ts'
import { prepareFollowUp } from '../web/follow-up.ts'
import { EstimateView } from '../../views/estimate-view.tsx'
import { streamColumnRetry, streamNewRun } from '../web/live-run.tsx'
import { partial } from '../web/page-stream.ts'
import { escapeHtml } from '../render/escape-html.ts'
import { ids } from '../../views/run-view.tsx'
import { imageSizeProblem, MAX_IMAGES, sniffImageType } from '../images/image-data.ts'
import { presetsForPage } from './preset-page.ts'
import { shuffled } from '../arena/letters.ts'
import { isHidden } from '../web/blind-state.ts'
import { streamRemoteRetry } from '../web/live-attach.tsx'

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

const attachedFiles = (form: FormBody): File[] => {
  const raw = form.images
  return (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((f): f is File => f instanceof File)
}

/** The attached files over the size limit, as the issues validation would name them. */
function oversizedFiles(form: FormBody): Array<{ path: string; message: string }> {
  return attachedFiles(form).flatMap((file, i) => {
    const problem = imageSizeProblem(file.size)
    return problem ? [{ path: `images[${i}]`, message: problem }] : []
  })
}

/**
 * Attached files as data URLs typed by their content (never by name or declared type), for the one validation
 * in compare-input: a file that is not an allowed image keeps a non-image type there and is refused, named.
 */
async function imagesOf(form: FormBody): Promise<string[] | undefined> {
  const files = attachedFiles(form)
  if (files.length === 0) return undefined
  // One past the limit is enough for validation to say "at most 8"; the rest is not read.
  return Promise.all(
    files.slice(0, MAX_IMAGES + 1).map(async (file) => {
      const data = Buffer.from(await file.arrayBuffer())
      return `data:${sniffImageType(data) ?? 'application/octet-stream'};base64,${data.toString('base64')}`
    }),
  )
}

/** How many images the form says are attached (the estimate gets the count, never the files). */
function imageCountOf(form: FormBody): number {
  const n = Number(str(form.image_count) ?? 0)
  return Number.isInteger(n) && n >= 0 && n <= MAX_IMAGES ? n : 0
}

/** RunSlots' message as a sentence, for a person reading the form. */
const busyMessage = (ctx: AppContext) => {
  const message = ctx.runSlots.busyMessage()
  return message.charAt(0).toUpperCase() + message.slice(1)
}

/** 429 for a page run over `run.max_concurrent_runs`: a message in the form's errors box, never a broken stream. */
function busyForm(c: Context, ctx: AppContext): Response {
  c.header('Retry-After', String(ctx.runSlots.retryAfterSeconds))
  return c.html(<FormErrors title="Not started:" issues={[{ path: '', message: busyMessage(ctx) }]} />, 429) as Response
}

/** "Retry this column" for a run another instance owns: a command to it, then its events from the run's log. */
async function remoteRetry(c: Context, ctx: AppContext, runId: string, index: number): Promise<Response> {
  const gone = () =>
    c.html(<FormErrors issues={[{ path: '', message: 'this run is no longer open here' }]} />, 404) as Response
  const entries = /^[A-Za-z0-9_-]{1,64}$/.test(runId) ? await ctx.live.events.read(runId).catch(() => null) : null
  const start = entries?.[0]?.event
  if (!entries || start?.type !== 'start' || !start.targets[index]) return gone()
  if (await isHidden(ctx, runId))
    return c.html(
      <FormErrors issues={[{ path: '', message: 'a blind run cannot be retried before the vote' }]} />,
      409,
    ) as Response
  // Sent once the log's end is known: every event of the retry comes after it.
  if ((await ctx.live.command({ kind: 'retry', run_id: runId, index })) === 'nobody') return gone()
  c.header('X-Accel-Buffering', 'no')
  return streamSSE(c, (stream) => streamRemoteRetry(stream, { ctx, entries, start, index }))
}

export function pageRoutes(ctx: AppContext, registry = new RunRegistry()): Hono {
  const app = new Hono()

  app.get('/', async (c) => {
    // "Run again" from history: the same prompt, system prompt, parameters and targets, ready to send.
    const rerun = c.req.query('rerun')
    const run = rerun && ctx.store && /^[A-Za-z0-9_-]{1,64}$/.test(rerun) ? await ctx.store.getRun(rerun) : null
    const values = run
      ? {
          prompt: run.prompt,
          system: run.system ?? undefined,
          temperature: run.params.temperature?.toString(),
          max_tokens: run.params.max_tokens?.toString(),
          targets: run.targets,
          images: run.images,
          blind: ctx.arena ? (await ctx.arena.blindOf(run.run_id)) !== null : false,
        }
      : undefined
    // A preset (`?preset=id`, the presets control's Load) fills the form the same way.
    const presets = await presetsForPage(ctx, c.req.query('preset'))
    const providers = ctx.catalog().providers
    const reach = await ctx.reachability.settle(providers, { maxWaitMs: PAGE_WAIT_MS })
    return c.html(
      <ComparePage providers={providers} values={values ?? presets.values} reach={reach} presets={presets.control} />,
    )
  })

  // "Check again" under the unreachable local servers: probes them now and returns the picker, with the
  // form's current selection kept.
  app.post('/targets/check', async (c) => {
    const form = (await c.req.parseBody({ all: true })) as FormBody
    const body = formToBody(form)
    const providers = ctx.catalog().providers
    const reach = await ctx.reachability.settle(providers, { maxWaitMs: RECHECK_WAIT_MS, force: true })
    // The study form reuses the picker; its id comes back so the next "check again" includes that form.
    const formId = form.picker_form === 'study-form' ? 'study-form' : undefined
    return c.html(
      <TargetPicker providers={providers} selected={body.targets} reach={reach} afterCheck formId={formId} />,
    )
  })

  app.post('/estimate', async (c) => {
    const form = (await c.req.parseBody({ all: true })) as FormBody
    const body = formToBody(form)
    // Blind mode: a per-target estimate would tell the answers apart before the vote.
    if (str(form.blind)) {
      return c.html(
        <EstimateView estimate={null} hint="Blind mode: no estimate, so nothing tells the answers apart." />,
      )
    }
    if (!body.prompt.trim() || body.targets.length === 0) {
      return c.html(<EstimateView estimate={null} hint="Pick targets and type a prompt to see the estimated cost." />)
    }
    const checked = validateCompare(ctx, body)
    if (!checked.ok) return c.html(<EstimateView estimate={null} hint={checked.issues[0]?.message} />)
    const images = imageCountOf(form)
    // Said as soon as images are attached, not only when the run is sent and refused.
    const blind = images > 0 ? targetsBlindTo(ctx.catalog(), checked.body.targets) : []
    if (blind.length > 0) return c.html(<EstimateView estimate={null} hint={cannotReadImages(blind[0]!)} />)
    return c.html(<EstimateView estimate={await estimateBody(ctx, checked.body, images)} />)
  })

  app.post('/runs', async (c) => {
    const form = (await c.req.parseBody({ all: true })) as FormBody
    const parentId = str(form.parent)
    const followUp = parentId ? await prepareFollowUp(ctx, registry, parentId) : null
    if (parentId && !followUp) {
      return c.html(
        <FormErrors issues={[{ path: 'parent', message: 'that run is not in history any more; start a new run' }]} />,
        422,
      )
    }
    const body: ReturnType<typeof formToBody> & { images?: string[] } = formToBody(form)
    // A follow-up continues the parent's targets; a blind run's follow-up form does not name them.
    if (followUp && body.targets.length === 0) body.targets = followUp.targets
    // Follow-ups of a blind run stay blind (same letters) until its vote.
    const blind = parentId ? await isHidden(ctx, parentId) : Boolean(str(form.blind))
    if (blind && !ctx.arena) {
      return c.html(<FormErrors issues={[{ path: 'blind', message: 'blind mode needs the history database' }]} />, 422)
    }
    // An oversized file is refused by its size alone, before it is read and re-encoded as a data URL.
    const oversized = oversizedFiles(form)
    if (oversized.length > 0) return c.html(<FormErrors issues={oversized} />, 422)
    const images = await imagesOf(form)
    if (images) body.images = images
    if (followUp?.system && !body.system) Object.assign(body, { system: followUp.system })
    const checked = validateCompare(ctx, body)
    if (!checked.ok) return c.html(<FormErrors issues={checked.issues} />, 422)
    // A new blind run's columns are in a random order: the letters are the order of its targets.
    const targets = blind && !parentId ? shuffled(checked.body.targets) : checked.body.targets
    const input = toRunInput({ ...checked.body, targets }, { history: followUp?.history, parentId })
    // Refused before anything is recorded or streamed: the form shows why (hx-status:4xx targets its errors box).
    const release = ctx.runSlots.tryAcquire()
    if (!release) return busyForm(c, ctx)
    const request = buildRequest(input)
    if (blind) await ctx.arena?.setBlind(request.run_id, input.targets)
    const turn = followUp?.turn ?? 1
    const meta = {
      prompt: input.prompt,
      system: input.system ?? null,
      parent_id: parentId ?? null,
      images: input.images,
    }
    c.header('X-Accel-Buffering', 'no')
    return streamSSE(c, async (stream) => {
      try {
        await streamNewRun(stream, { ctx, registry, request, meta, turn, blind })
      } finally {
        release()
      }
    })
  })

  app.post('/runs/:id/stop', async (c) => {
    const id = c.req.param('id')
    // Not run here: the instance that runs it gets the command (src/live).
    if (!registry.stop(id) && /^[A-Za-z0-9_-]{1,64}$/.test(id)) await ctx.live.command({ kind: 'stop', run_id: id })
    return c.body(null, 204)
  })

  app.post('/runs/:id/retry/:index{[0-9]+}', async (c) => {
    const run = registry.get(c.req.param('id'))
    const index = Number(c.req.param('index'))
    if (!run) return remoteRetry(c, ctx, c.req.param('id'), index)
    if (!run.request.targets[index])
      return c.html(<FormErrors issues={[{ path: '', message: 'this run is no longer open here' }]} />, 404)
    // A retry streams figures that would tell a blind run's answers apart.
    if (run.blind && (await isHidden(ctx, run.request.run_id)))
      return c.html(
        <FormErrors issues={[{ path: '', message: 'a blind run cannot be retried before the vote' }]} />,
        409,
      )
    const release = ctx.runSlots.tryAcquire()
    if (!release) {
      // Only partials: the column keeps its answer and shows why nothing happened.
      const note = `<p class="error" role="alert">${escapeHtml(busyMessage(ctx))}</p>`
      c.header('Retry-After', String(ctx.runSlots.retryAfterSeconds))
      return c.html(partial(ids.error(index), 'innerHTML', note), 429)
    }
    c.header('X-Accel-Buffering', 'no')
    return streamSSE(c, async (stream) => {
      try {
        await streamColumnRetry(stream, { ctx, registry, run, index })
      } finally {
        release()
      }
    })
  })

  return app
}
