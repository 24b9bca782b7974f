import type { EngineDeps } from '../engine/compare.ts'
import { newRunId, type RunRecorder, userMessage } from '../engine/run-service.ts'
import type { ChatMessage } from '../providers/types.ts'
import { estimateRun } from '../pricing/estimate.ts'
import { picoToUsd, usdToPico } from '../pricing/money.ts'
import type { StoredCell, StoredSummary, StudyListRow, StudyRecord, StudyStore } from '../storage/study-store.ts'
import { cellKeys, cellView } from './cells.ts'
import { ProviderGate } from './provider-gate.ts'
import { type RunnerMode, StudyRunner } from './study-runner.ts'
// Type only: BullMQ and ioredis load with the team runtime, never for a single user.
import type { StudyTeam, StudyTeamDeps } from './study-team.ts'
import { summarize } from './summary.ts'
import {
  type CellView,
  type ControlOutcome,
  type CreateOutcome,
  MAX_REPEATS,
  MAX_STUDY_CELLS,
  type StudyEstimate,
  type StudyExport,
  type StudyInput,
  type StudyListItem,
  type StudyProgress,
  type StudyProgressEvent,
  type StudyService,
  type StudySummary,
  type StudyView,
} from './types.ts'

export interface StudyServiceDeps {
  /** The run engine and the history recorder: every cell is a real run. */
  engine: EngineDeps & { recorder: RunRecorder }
  store: StudyStore
  /** Whether an answer passes an `expected` check (src/studies/expected.ts). */
  passes: (expected: string, answer: string) => boolean
  log: (line: string) => void
  gate?: ProviderGate
  now?: () => number
  /**
   * Team mode (a Redis given): cells go through a queue every instance works, with global provider limits. Without
   * it, each study runs in this process (StudyRunner) as for a single user. A factory, given this service's
   * side of it: `(deps) => new StudyTeam(options, deps)`.
   */
  team?: (deps: StudyTeamDeps) => StudyTeam
}

const LIST_LIMIT = 500
/** While a study runs, its summary (bootstrap included) is recomputed at most this often. */
const SUMMARY_REFRESH_MS = 1000
/** Part of a stored summary's key: a change to how summaries are computed makes the stored ones out of date. */
const SUMMARY_FORMAT = 1

type Listener = (event: StudyProgressEvent) => void

/** Studies: create, run, pause, resume, cancel, read. No HTTP here; routes and the CLI call it. */
export class DefaultStudyService implements StudyService {
  private readonly runners = new Map<string, StudyRunner>()
  private readonly listeners = new Map<string, Set<Listener>>()
  private readonly summaries = new Map<string, { key: string; at: number; summary: StudySummary }>()
  private readonly gate: ProviderGate
  private readonly now: () => number
  private closing: Promise<void> | null = null
  /** Team mode's queue and workers; null: studies run in this process. */
  readonly team: StudyTeam | null

  constructor(private readonly deps: StudyServiceDeps) {
    this.gate = deps.gate ?? new ProviderGate()
    this.now = deps.now ?? Date.now
    this.team = deps.team
      ? deps.team({
          engine: deps.engine,
          store: deps.store,
          passes: deps.passes,
          now: this.now,
          changed: (id, cell) => this.notify(id, cell),
          ended: (id) => void this.storeSummary(id),
        })
      : null
  }

  async create(input: StudyInput): Promise<CreateOutcome> {
    if (this.closing) return refused('the server is shutting down', [])
    const problems = this.check(input)
    if (problems.length > 0) return refused('invalid study', problems)
    if (input.max_usd !== undefined) {
      const estimate = await this.estimate(input)
      if (estimate.low_usd !== null && estimate.low_usd > input.max_usd) {
        const message =
          `the estimate is ${usd(estimate.low_usd)}–${usd(estimate.high_usd)} for ${estimate.cells} cells, ` +
          `above the budget of ${usd(input.max_usd)}`
        return refused(message, [{ path: 'max_usd', message }])
      }
    }
    const studyId = newRunId(this.now())
    const keys = cellKeys(input)
    const createdAt = new Date(this.now())
    await this.deps.store.createStudy({
      study_id: studyId,
      name: input.name,
      created_at: createdAt,
      input,
      cells: keys,
    })
    await this.deps.store.setState(studyId, { status: 'running', stop_reason: null, started_at: createdAt.getTime() })
    const cells = await this.deps.store.cells(studyId)
    if (this.team) await this.queueCells(studyId, cells, false)
    else this.startRunner(studyId, input, cells)
    return { ok: true, study_id: studyId }
  }

  /** What the schema checks too, for callers that build an input themselves (the CLI). */
  private check(input: StudyInput): Array<{ path: string; message: string }> {
    const issues: Array<{ path: string; message: string }> = []
    if (input.prompts.length === 0) issues.push({ path: 'prompts', message: 'no prompts: give at least one' })
    input.prompts.forEach((p, i) => {
      if (!p.prompt.trim()) issues.push({ path: `prompts[${i}].prompt`, message: 'must not be empty' })
    })
    if (input.targets.length === 0) issues.push({ path: 'targets', message: 'pick at least one target' })
    const catalog = this.deps.engine.catalog()
    input.targets.forEach((t, i) => {
      if (!catalog.find(t)) issues.push({ path: `targets[${i}]`, message: `unknown target "${t}"` })
    })
    if (!Number.isInteger(input.repeats) || input.repeats < 1 || input.repeats > MAX_REPEATS) {
      issues.push({ path: 'repeats', message: `must be a whole number from 1 to ${MAX_REPEATS}` })
    }
    if (!Number.isInteger(input.concurrency) || input.concurrency < 1) {
      issues.push({ path: 'concurrency', message: 'must be a whole number of at least 1' })
    }
    const cells = input.prompts.length * input.targets.length * input.repeats
    if (cells > MAX_STUDY_CELLS) {
      issues.push({ path: 'prompts', message: `${cells} cells, above the limit of ${MAX_STUDY_CELLS}` })
    }
    return issues
  }

  async estimate(input: StudyInput): Promise<StudyEstimate> {
    const catalog = this.deps.engine.catalog()
    const entries = input.targets.map((t) => catalog.find(t)).filter((e) => e !== undefined)
    const at = new Date(this.now())
    let low = 0n
    let high = 0n
    let anyKnown = false
    const unknown = new Set(input.targets.filter((t) => !catalog.find(t)))
    for (const p of input.prompts) {
      const messages: ChatMessage[] = []
      if (p.system) messages.push({ role: 'system', content: p.system })
      messages.push(userMessage(p.prompt))
      const estimate = await estimateRun(
        this.deps.engine.pricer,
        entries.map((entry) => ({ entry, messages })),
        { maxTokens: input.params.max_tokens, at },
      )
      for (const t of estimate.unpriced) unknown.add(t)
      if (estimate.total_low_usd !== null && estimate.total_high_usd !== null) {
        anyKnown = true
        low += usdToPico(estimate.total_low_usd)
        high += usdToPico(estimate.total_high_usd)
      }
    }
    const repeats = BigInt(input.repeats)
    return {
      low_usd: anyKnown ? picoToUsd(low * repeats) : null,
      high_usd: anyKnown ? picoToUsd(high * repeats) : null,
      unknown_targets: [...unknown],
      cells: input.prompts.length * input.targets.length * input.repeats,
    }
  }

  async list(): Promise<StudyListItem[]> {
    const rows = await this.deps.store.listStudies(LIST_LIMIT)
    const stored = await this.deps.store.storedSummaries(rows.map((r) => r.study_id))
    const summaries: StudySummary[] = []
    for (const r of rows) summaries.push(await this.listSummary(r, stored.get(r.study_id)))
    return rows.map((r, i) => ({
      study_id: r.study_id,
      name: r.name,
      status: r.status,
      stop_reason: r.stop_reason,
      created_at: iso(r.created_at),
      finished_at: r.finished_at === null ? null : iso(r.finished_at),
      progress: { done: r.done, total: r.cells },
      targets: r.targets,
      prompt_count: r.prompt_count,
      repeats: r.repeats,
      spend_so_far_usd: r.spend_pico === null ? null : picoToUsd(r.spend_pico),
      summary: summaries[i]!,
    }))
  }

  /**
   * A list item's summary without reading every study's cells on every list: an ended study's (no runner, not
   * running: its cells no longer change) is stored once computed and reused while its status and counts match;
   * a running one's comes from the same one-second cache as its page.
   */
  private async listSummary(row: StudyListRow, stored: StoredSummary | undefined): Promise<StudySummary> {
    const runner = this.runners.get(row.study_id)
    const settled = row.status !== 'running' && !runner
    const key = summaryKey(row)
    if (settled && stored?.key === key) return stored.summary
    const cached = this.summaries.get(row.study_id)
    if (runner && cached && this.now() - cached.at < SUMMARY_REFRESH_MS) return cached.summary
    const record = await this.deps.store.getStudy(row.study_id)
    // Deleted between the two reads: nothing to summarize.
    if (!record) return { targets: [], cost_ratios: [] }
    const { summary } = this.view(record, await this.deps.store.cells(row.study_id))
    if (settled) await this.deps.store.saveSummary(row.study_id, { key, summary })
    return summary
  }

  /** Stores an ended study's summary as it ends, so the list's first call after it need not compute it. */
  private async storeSummary(id: string): Promise<void> {
    // Shutting down: the database may close under it; the list computes the summary after the restart.
    if (this.closing) return
    try {
      const record = await this.deps.store.getStudy(id)
      if (!record || record.status === 'running' || this.runners.has(id)) return
      const cells = await this.deps.store.cells(id)
      let spend: bigint | null = null
      for (const c of cells) if (c.cost_pico !== null) spend = (spend ?? 0n) + c.cost_pico
      const done = cells.filter((c) => c.status === 'ok' || c.status === 'error').length
      const key = summaryKey({ status: record.status, done, cells: cells.length, spend_pico: spend })
      await this.deps.store.saveSummary(id, { key, summary: this.view(record, cells).summary })
    } catch (err) {
      // The list computes it instead.
      this.deps.log(`study ${id}: could not store its summary: ${String(err)}`)
    }
  }

  async get(id: string): Promise<StudyView | null> {
    const record = await this.deps.store.getStudy(id)
    if (!record) return null
    // A page polling a running study: the runner's counters and a summary under a second old, no cell read.
    const runner = this.runners.get(id)
    const cached = this.summaries.get(id)
    if (record.status === 'running' && runner && cached && this.now() - cached.at < SUMMARY_REFRESH_MS) {
      const known = runner.progress.done - runner.unknownCostCells
      return this.assemble(record, {
        progress: { ...runner.progress },
        spent: known > 0 ? runner.spentPico : null,
        unknownCells: runner.unknownCostCells,
        summary: cached.summary,
      })
    }
    return this.view(record, await this.deps.store.cells(id))
  }

  async cells(id: string, filter: { prompt_index?: number } = {}) {
    const record = await this.deps.store.getStudy(id)
    if (!record) return null
    const cells = await this.deps.store.cells(id, filter)
    return cells.map((c) => cellView(c, record.input, picoToUsd))
  }

  async export(id: string): Promise<StudyExport | null> {
    const record = await this.deps.store.getStudy(id)
    if (!record) return null
    const cells = await this.deps.store.cells(id)
    return {
      study: this.view(record, cells),
      input: record.input,
      cells: cells.map((c) => cellView(c, record.input, picoToUsd)),
    }
  }

  async cancel(id: string): Promise<ControlOutcome> {
    const record = await this.deps.store.getStudy(id)
    if (!record) return notFound()
    if (record.status === 'done' || record.status === 'cancelled') {
      return { ok: false, status: 409, message: `the study is ${record.status}: nothing to cancel` }
    }
    await this.deps.store.setState(id, { status: 'cancelled', stop_reason: null, finished_at: this.now() })
    // After the state: cells aborted now are recorded while the study already reads as cancelled.
    this.runners.get(id)?.cancel()
    if (this.team) {
      await this.team.cancel(id)
      return this.viewOutcome(id)
    }
    return this.controlled(id)
  }

  async pause(id: string): Promise<ControlOutcome> {
    const record = await this.deps.store.getStudy(id)
    if (!record) return notFound()
    if (record.status !== 'running') {
      return { ok: false, status: 409, message: `the study is ${record.status}: only a running study can pause` }
    }
    await this.deps.store.setState(id, { status: 'interrupted', stop_reason: 'paused' })
    this.runners.get(id)?.pause()
    // Team mode: every instance reads the state before each cell; those in flight finish, as here.
    if (this.team) {
      await this.team.changed(id)
      return this.viewOutcome(id)
    }
    return this.controlled(id)
  }

  async resume(id: string, options: { max_usd?: number } = {}): Promise<ControlOutcome> {
    if (this.closing) return { ok: false, status: 409, message: 'the server is shutting down' }
    const record = await this.deps.store.getStudy(id)
    if (!record) return notFound()
    if (record.status !== 'interrupted') {
      const why = record.status === 'running' ? 'it is running' : `it is ${record.status}`
      return { ok: false, status: 409, message: `the study cannot be resumed: ${why}` }
    }
    const input = { ...record.input }
    if (options.max_usd !== undefined) {
      input.max_usd = options.max_usd
      await this.deps.store.setBudget(id, options.max_usd)
    }
    const cells = await this.deps.store.cells(id)
    if (input.max_usd !== undefined) {
      const spent = cells.reduce((sum, c) => sum + (c.status === 'cancelled' ? 0n : (c.cost_pico ?? 0n)), 0n)
      if (spent >= usdToPico(input.max_usd)) {
        return {
          ok: false,
          status: 409,
          message:
            `the known spend (${usd(picoToUsd(spent))}) has reached max_usd (${usd(input.max_usd)}); ` +
            'resume with a higher max_usd',
        }
      }
    }
    await this.deps.store.setState(id, { status: 'running', stop_reason: null })
    if (this.team) {
      await this.queueCells(id, cells, true)
      await this.team.changed(id)
      return this.viewOutcome(id)
    }
    const draining = this.runners.get(id)
    if (!draining?.resume(options.max_usd)) this.startRunner(id, input, cells)
    return this.controlled(id)
  }

  subscribe(id: string, listener: Listener): () => void {
    let set = this.listeners.get(id)
    if (!set) {
      set = new Set()
      this.listeners.set(id, set)
    }
    set.add(listener)
    return () => {
      set.delete(listener)
      if (set.size === 0 && this.listeners.get(id) === set) this.listeners.delete(id)
    }
  }

  /**
   * Aborts cells in flight (they run again on resume) and marks running studies interrupted (`restart`). In team
   * mode the studies go on: this instance's cells in flight go back to the queue for the others.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.team) await this.team.close()
      const runners = [...this.runners.entries()]
      // The state first, so listeners told of the aborted cells read why.
      for (const [id] of runners) {
        const record = await this.deps.store.getStudy(id).catch(() => null)
        if (record?.status === 'running') {
          await this.deps.store.setState(id, { status: 'interrupted', stop_reason: 'restart' }).catch(() => {})
        }
      }
      await Promise.all(runners.map(([, runner]) => runner.close()))
    })()
    return this.closing
  }

  /** Team mode: Redis away, the study stops (interrupted, `error`) rather than waiting for cells nobody queued. */
  private async queueCells(id: string, cells: StoredCell[], resumed: boolean): Promise<void> {
    try {
      await this.team!.start(id, cells, { resumed })
    } catch (err) {
      this.deps.log(`study ${id}: could not queue its cells: ${String(err)}`)
      await this.deps.store.setState(id, { status: 'interrupted', stop_reason: 'error' })
    }
  }

  private startRunner(id: string, input: StudyInput, cells: StoredCell[]): void {
    const runner: StudyRunner = new StudyRunner({
      studyId: id,
      input,
      cells,
      engine: this.deps.engine,
      gate: this.gate,
      passes: this.deps.passes,
      log: this.deps.log,
      now: this.now,
      saveCell: (key, outcome) => this.deps.store.saveCell(id, key, outcome),
      changed: (key, outcome) => this.notify(id, cellView({ ...key, ...outcome }, input, picoToUsd)),
      budgetReached: () => {
        void this.deps.store
          .setState(id, { status: 'interrupted', stop_reason: 'budget' })
          .then(() => this.notify(id))
          .catch((err) => this.deps.log(`study ${id}: could not save its state: ${String(err)}`))
      },
      saveFailed: () => {
        void this.deps.store
          .setState(id, { status: 'interrupted', stop_reason: 'error' })
          .then(() => this.notify(id))
          .catch((err) => this.deps.log(`study ${id}: could not save its state: ${String(err)}`))
      },
      // Once ended, its summary is stored for the list (kept apart from drained(), which only sets the state).
      drained: (mode) => void this.drained(id, runner, mode).then(() => this.storeSummary(id)),
    })
    this.runners.set(id, runner)
    runner.start()
  }

  private async drained(id: string, runner: StudyRunner, mode: RunnerMode): Promise<void> {
    if (this.runners.get(id) === runner) this.runners.delete(id)
    try {
      // Every cell ran: done, whatever else the stored status says (a pause that landed as the last cell
      // finished, or another process on the same database that marked it interrupted), unless it was cancelled.
      const record = mode === 'running' ? await this.deps.store.getStudy(id) : null
      if (record && record.status !== 'cancelled' && record.status !== 'done') {
        await this.deps.store.setState(id, { status: 'done', stop_reason: null, finished_at: this.now() })
      }
      this.notify(id)
    } catch (err) {
      this.deps.log(`study ${id}: could not save its state: ${String(err)}`)
    }
  }

  private notify(id: string, cell?: CellView): void {
    const set = this.listeners.get(id)
    if (!set || set.size === 0) return
    void this.progressEvent(id)
      .then((found) => {
        if (!found) return
        const event = cell ? { ...found, cell } : found
        for (const listener of [...set]) {
          try {
            listener(event)
          } catch (err) {
            this.deps.log(`study ${id}: a progress listener failed: ${String(err)}`)
          }
        }
      })
      // The database may be closing (shutdown): listeners miss one redraw, nothing else is lost.
      .catch((err) => this.deps.log(`study ${id}: could not read its progress: ${String(err)}`))
  }

  private async progressEvent(id: string): Promise<StudyProgressEvent | null> {
    const record = await this.deps.store.getStudy(id)
    if (!record) return null
    const runner = this.runners.get(id)
    if (runner) {
      return {
        study_id: id,
        status: record.status,
        stop_reason: record.stop_reason,
        progress: { ...runner.progress },
        spend_so_far_usd: runner.progress.done > runner.unknownCostCells ? picoToUsd(runner.spentPico) : null,
      }
    }
    const view = this.view(record, await this.deps.store.cells(id))
    return {
      study_id: id,
      status: view.status,
      stop_reason: view.stop_reason,
      progress: view.progress,
      spend_so_far_usd: view.spend_so_far_usd,
    }
  }

  private async controlled(id: string): Promise<ControlOutcome> {
    this.notify(id)
    return this.viewOutcome(id)
  }

  /** Team mode tells listeners through Redis (this instance's too), so no local redraw here. */
  private async viewOutcome(id: string): Promise<ControlOutcome> {
    const view = await this.get(id)
    return view ? { ok: true, view } : notFound()
  }

  private view(record: StudyRecord, cells: StoredCell[]): StudyView {
    const progress: StudyProgress = { done: 0, total: cells.length, ok: 0, errors: 0, cancelled: 0, pending: 0 }
    let spent = 0n
    let anyKnown = false
    let unknownCells = 0
    for (const c of cells) {
      if (c.status === 'pending') progress.pending++
      else if (c.status === 'cancelled') progress.cancelled++
      else {
        if (c.status === 'ok') progress.ok++
        else progress.errors++
        if (c.cost_pico === null) unknownCells++
        else {
          spent += c.cost_pico
          anyKnown = true
        }
      }
    }
    progress.done = progress.ok + progress.errors
    return this.assemble(record, {
      progress,
      spent: anyKnown ? spent : null,
      unknownCells,
      summary: this.summary(record, cells, progress),
    })
  }

  private assemble(
    record: StudyRecord,
    figures: { progress: StudyProgress; spent: bigint | null; unknownCells: number; summary: StudySummary },
  ): StudyView {
    const { input } = record
    return {
      study_id: record.study_id,
      name: record.name,
      status: record.status,
      created_at: iso(record.created_at),
      progress: figures.progress,
      summary: figures.summary,
      stop_reason: record.stop_reason,
      started_at: record.started_at === null ? null : iso(record.started_at),
      finished_at: record.finished_at === null ? null : iso(record.finished_at),
      eta_s: record.status === 'running' ? (this.runners.get(record.study_id)?.etaSeconds() ?? null) : null,
      spend_so_far_usd: figures.spent === null ? null : picoToUsd(figures.spent),
      spend_unknown_cells: figures.unknownCells,
      targets: input.targets,
      prompt_count: input.prompts.length,
      repeats: input.repeats,
      concurrency: input.concurrency,
      params: input.params,
      max_usd: input.max_usd ?? null,
    }
  }

  /** The summary (its bootstrap costs the most), reused while nothing changed or for a second while running. */
  private summary(record: StudyRecord, cells: StoredCell[], progress: StudyProgress): StudySummary {
    const key = `${record.status}:${progress.done}:${progress.cancelled}`
    const cached = this.summaries.get(record.study_id)
    const fresh =
      cached && (cached.key === key || (record.status === 'running' && this.now() - cached.at < SUMMARY_REFRESH_MS))
    if (cached && fresh) return cached.summary
    const catalog = this.deps.engine.catalog()
    const summary = summarize({
      studyId: record.study_id,
      targets: record.input.targets.map((target) => ({ target, label: catalog.find(target)?.model.label ?? target })),
      cells,
    })
    if (this.summaries.size > 100) this.summaries.clear()
    this.summaries.set(record.study_id, { key, at: this.now(), summary })
    return summary
  }
}

function refused(message: string, issues: Array<{ path: string; message: string }>): CreateOutcome {
  return { ok: false, status: 422, message, issues }
}

function notFound(): ControlOutcome {
  return { ok: false, status: 404, message: 'no such study' }
}

const iso = (ms: number) => new Date(ms).toISOString()

/** What a stored summary was computed from, as the list row counts it (spend over every cell with a cost). */
function summaryKey(row: Pick<StudyListRow, 'status' | 'done' | 'cells' | 'spend_pico'>): string {
  return `${SUMMARY_FORMAT}:${row.status}:${row.done}:${row.cells}:${row.spend_pico ?? ''}`
}

function usd(value: number | null): string {
  if (value === null) return 'unknown'
  return `$${value < 0.01 ? value.toPrecision(3) : value.toFixed(2)}`
}
