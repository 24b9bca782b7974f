import { StudyTeam } from '../../src/studies/study-team.ts'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createContext } from '../../src/context.ts'
import { openSqliteRunStore, type SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { SqliteStudyStore } from '../../src/storage/sqlite-study-store.ts'
import { DefaultStudyService } from '../../src/studies/study-service.ts'
import type { StudyTeamOptions } from '../../src/studies/study-team.ts'
import type { StudyInput, StudyProgressEvent, StudyView } from '../../src/studies/types.ts'
import {
  type FakeUpstream,
  type RecordedRequest,
  rateLimited,
  type Scenario,
  startFakeUpstream,
  waitFor,
} from '../helpers/fake-upstream.ts'
import { fakeConfig, loadTestConfig } from '../helpers/juxta.ts'
import { type RedisServer, startRedis } from '../helpers/redis-server.ts'

const CHILD = resolve(import.meta.dirname, 'study-team-child.ts')

// Two study services on one Redis, sharing one SQLite run and study store (standing in for the shared
// database): two instances of a team. Each sends its own API key, so the upstream tells whose request it got.
const KEY = { a: 'sk-test-instance-a-0123456789abcdef', b: 'sk-test-instance-b-0123456789abcdef' }

let redis: RedisServer
let upstream: FakeUpstream
let dir: string
let test = 0

beforeAll(async () => {
  ;[redis, upstream] = await Promise.all([startRedis(), startFakeUpstream()])
  dir = mkdtempSync(join(tmpdir(), 'juxta-study-team-'))
})
afterAll(async () => {
  await Promise.all([redis?.stop(), upstream?.close()])
  rmSync(dir, { recursive: true, force: true })
})

type Model = string | Record<string, unknown>

interface Instance {
  name: 'a' | 'b'
  studies: DefaultStudyService
  logs: string[]
  flush(): Promise<void>
}

interface Team {
  a: Instance
  b: Instance
  runStore: SqliteRunStore
  studyStore: SqliteStudyStore
}

let open: Team | null = null
afterEach(async () => {
  if (!open) return
  const team = open
  open = null
  await Promise.all([team.a.studies.close(), team.b.studies.close()])
  await Promise.all([team.a.flush(), team.b.flush()])
  await team.runStore.close()
})

/** One instance: its own engine (and API key) and study service, on the shared stores and Redis. */
function instance(
  name: 'a' | 'b',
  shared: { runStore: SqliteRunStore; studyStore: SqliteStudyStore; models: Model[]; prefix: string },
  options: Partial<StudyTeamOptions> = {},
): Instance {
  const logs: string[] = []
  const log = (line: string) => logs.push(line)
  const providers = Object.fromEntries(
    ['p1', 'p2'].map((id) => [id, { base_url: upstream.url, api_key: KEY[name], models: shared.models }]),
  )
  const ctx = createContext(loadTestConfig(fakeConfig(providers, { max_retries: 2 })), {
    store: shared.runStore,
    log,
  })
  const studies = new DefaultStudyService({
    engine: ctx,
    store: shared.studyStore,
    passes: () => true,
    log,
    team: (deps) =>
      new StudyTeam({ redis: redis.url, prefix: shared.prefix, instanceId: `instance-${name}`, log, ...options }, deps),
  })
  return { name, studies, logs, flush: async () => ctx.recorder.flush?.() }
}

function startTeam(models: Model[], options: Partial<StudyTeamOptions> = {}): Team {
  test++
  const runStore = openSqliteRunStore(join(dir, `team-${test}.db`))
  const shared = { runStore, studyStore: new SqliteStudyStore(runStore.db), models, prefix: `t${test}:` }
  open = { a: instance('a', shared, options), b: instance('b', shared, options), ...shared }
  return open
}

function study(targets: string[], prompts: number, extra: Partial<StudyInput> = {}): StudyInput {
  return {
    name: 'team',
    prompts: Array.from({ length: prompts }, (_, i) => ({ prompt: `question ${i + 1}` })),
    targets,
    repeats: 1,
    concurrency: 2,
    params: {},
    ...extra,
  }
}

async function create(on: Instance, input: StudyInput): Promise<string> {
  const created = await on.studies.create(input)
  if (!created.ok) throw new Error(created.message)
  return created.study_id
}

async function until(on: Instance, id: string, done: (v: StudyView) => boolean, ms = 30_000): Promise<StudyView> {
  const deadline = Date.now() + ms
  for (;;) {
    const view = await on.studies.get(id)
    if (view && done(view)) return view
    if (Date.now() > deadline) throw new Error(`study ${id} did not get there: ${JSON.stringify(view?.progress)}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const by = (name: 'a' | 'b') => (r: RecordedRequest) => r.headers.authorization === `Bearer ${KEY[name]}`
const forModels = (models: string[]) => upstream.requests.filter((r) => r.model && models.includes(r.model))

/** The most requests the upstream had open at once among these (server side, inside the client's slot). */
function mostAtOnce(requests: RecordedRequest[]): number {
  const edges = requests.flatMap((r) => [
    { at: r.receivedAt, d: 1 },
    { at: r.closedAt ?? Number.POSITIVE_INFINITY, d: -1 },
  ])
  // A request closing at the instant another arrives does not overlap it.
  edges.sort((x, y) => x.at - y.at || x.d - y.d)
  let open = 0
  let most = 0
  for (const e of edges) {
    open += e.d
    most = Math.max(most, open)
  }
  return most
}

function script(model: string, scenario: Scenario): string {
  upstream.script(model, scenario)
  return model
}

const slowText = (everyMs: number): Scenario => ({ kind: 'text', deltas: 4, everyMs })

describe('a study shared by two instances (BullMQ on Redis)', () => {
  it('runs its cells on both instances, each once, and completes it exactly once', async () => {
    const model = script('share', slowText(15))
    const team = startTeam([model])
    const setState = vi.spyOn(team.studyStore, 'setState')
    const id = await create(team.a, study([`p1/${model}`, `p2/${model}`], 12, { repeats: 2 }))
    // Listeners on B hear of every cell, whichever instance ran it.
    const heard: StudyProgressEvent[] = []
    team.b.studies.subscribe(id, (e) => heard.push(e))
    const view = await until(team.b, id, (v) => v.status !== 'running')
    expect(view.status).toBe('done')
    expect(view.progress).toEqual({ done: 48, total: 48, ok: 48, errors: 0, cancelled: 0, pending: 0 })

    const requests = forModels([model])
    expect(requests).toHaveLength(48)
    expect(requests.filter(by('a')).length).toBeGreaterThan(0)
    expect(requests.filter(by('b')).length).toBeGreaterThan(0)
    const cells = (await team.a.studies.cells(id))!
    expect(new Set(cells.map((c) => c.run_id)).size).toBe(48)
    expect(cells.every((c) => c.status === 'ok' && c.run_id !== null)).toBe(true)
    await Promise.all([team.a.flush(), team.b.flush()])
    const runs = await team.runStore.listRuns({ limit: 100 })
    expect(runs.runs.filter((r) => r.study_id === id)).toHaveLength(48)
    // The last stored cell completed it, once, whichever instance stored it.
    expect(setState.mock.calls.filter(([sid, s]) => sid === id && s.status === 'done')).toHaveLength(1)
    // Both instances' listings agree.
    expect((await team.a.studies.get(id))?.progress.done).toBe(48)
    expect(await waitFor(() => heard.filter((e) => e.cell).length === 48, 5000)).toBe(true)
    expect(await waitFor(() => heard.some((e) => e.status === 'done' && e.progress.done === 48), 5000)).toBe(true)
  })

  it('pause on one instance stops both; resume on the other runs only the missing cells', async () => {
    const model = script('pause', slowText(40))
    const team = startTeam([model])
    const id = await create(team.a, study([`p1/${model}`, `p2/${model}`], 10))
    const open = () => forModels([model]).filter((r) => r.closedAt === null)
    expect(await waitFor(() => open().some(by('a')) && open().some(by('b')), 15_000, 5)).toBe(true)
    expect(await team.b.studies.pause(id)).toMatchObject({ ok: true, view: { status: 'interrupted' } })
    // The cells in flight finish (they are paid for) and are kept; no other starts.
    const paused = await until(team.a, id, (v) => v.progress.done === forModels([model]).length, 10_000)
    expect(open()).toEqual([])
    expect(paused).toMatchObject({ status: 'interrupted', stop_reason: 'paused' })
    expect(paused.progress.pending).toBeGreaterThan(0)
    expect(forModels([model]).every((r) => !r.aborted)).toBe(true)

    expect(await team.a.studies.resume(id)).toMatchObject({ ok: true, view: { status: 'running' } })
    const done = await until(team.b, id, (v) => v.status !== 'running')
    expect(done).toMatchObject({ status: 'done', progress: { done: 20, ok: 20, pending: 0 } })
    expect(forModels([model])).toHaveLength(20)
  })

  it('stops both instances at the budget; resuming with a higher one finishes', async () => {
    // $5 per M output tokens, input free: each cell's 4 output tokens cost $0.00002; the low estimate is 0.
    const model = script('budget', slowText(10))
    const team = startTeam([{ id: model, price: { input: 0, output: 5 } }])
    const id = await create(team.a, study([`p1/${model}`], 20, { max_usd: 0.0001 }))
    const stopped = await until(team.b, id, (v) => v.stop_reason === 'budget')
    expect(await waitFor(() => forModels([model]).every((r) => r.closedAt !== null), 10_000)).toBe(true)
    const settled = await until(team.a, id, (v) => v.progress.done === forModels([model]).length, 10_000)
    expect(settled).toMatchObject({ status: 'interrupted', stop_reason: 'budget' })
    expect(settled.spend_so_far_usd).toBeGreaterThanOrEqual(0.0001)
    // 5 cells reach it; at most the 2 others of the provider's limit were already under way.
    expect(settled.progress.done).toBeGreaterThanOrEqual(5)
    expect(settled.progress.done).toBeLessThanOrEqual(7)
    expect(stopped.progress.pending).toBeGreaterThan(0)
    expect(await team.b.studies.resume(id)).toMatchObject({ ok: false, status: 409 })
    expect(await team.b.studies.resume(id, { max_usd: 1 })).toMatchObject({ ok: true })
    const done = await until(team.a, id, (v) => v.status !== 'running')
    expect(done).toMatchObject({ status: 'done', max_usd: 1, progress: { done: 20, ok: 20 } })
    expect(forModels([model])).toHaveLength(20)
  })

  it('holds a provider limit of 2 across both instances', async () => {
    const [m1, m2, other] = ['limit-1', 'limit-2', 'limit-other'].map((m) => script(m, slowText(20)))
    const team = startTeam([m1!, m2!, other!])
    // p1 has two targets: its limit of 2 covers both. p2 is another provider with its own 2.
    const id = await create(team.a, study([`p1/${m1}`, `p1/${m2}`, `p2/${other}`], 10))
    const view = await until(team.a, id, (v) => v.status !== 'running')
    expect(view.progress).toMatchObject({ done: 30, ok: 30, pending: 0 })
    const p1 = forModels([m1!, m2!])
    expect(p1).toHaveLength(20)
    expect(p1.filter(by('a')).length).toBeGreaterThan(0)
    expect(p1.filter(by('b')).length).toBeGreaterThan(0)
    // Each instance alone would allow 2: together, without a global limit, up to 4.
    expect(mostAtOnce(p1)).toBeLessThanOrEqual(2)
    expect(mostAtOnce(forModels([other!]))).toBeLessThanOrEqual(2)
  })

  it('a 429 with Retry-After seen by one instance holds the provider on both', async () => {
    const ok = slowText(10)
    const model = script('backoff', { kind: 'sequence', steps: [ok, ok, ok, ok, ok, ok, rateLimited(2), ok] })
    const team = startTeam([model])
    const id = await create(team.a, study([`p1/${model}`], 24))
    const view = await until(team.b, id, (v) => v.status !== 'running')
    expect(view.progress).toMatchObject({ done: 24, ok: 24, pending: 0 })

    const requests = forModels([model])
    // Every cell once, and the one that met the 429 once more.
    expect(requests).toHaveLength(25)
    const limited = requests[6]!
    const from = limited.closedAt!
    // Until the Retry-After is over, neither instance sends that provider anything (a moment allowed for the
    // hold to reach Redis); without a shared back-off the other instance would go on at its limit of 2.
    const during = requests.filter((r) => r.receivedAt > from + 800 && r.receivedAt < from + 1_700)
    expect(during).toEqual([])
    // Both instances had cells waiting through it: both send again after it.
    const after = requests.filter((r) => r.receivedAt >= from + 1_700)
    expect(after.filter(by('a')).length).toBeGreaterThan(0)
    expect(after.filter(by('b')).length).toBeGreaterThan(0)
  })

  it('cancel on one instance aborts the cells in flight on the other', async () => {
    const model = script('cancel-endless', { kind: 'endless', mode: 'deltas', everyMs: 50 })
    // Two cells at a time per instance: the four provider slots are shared out between them.
    const team = startTeam([model], { workerConcurrency: 2 })
    const id = await create(team.a, study([`p1/${model}`, `p2/${model}`], 6))
    // Both instances have a cell streaming.
    const both = await waitFor(
      () => {
        const open = forModels([model]).filter((r) => r.closedAt === null)
        return open.some(by('a')) && open.some(by('b'))
      },
      15_000,
      20,
    )
    expect(both).toBe(true)
    const cancelled = await team.b.studies.cancel(id)
    expect(cancelled).toMatchObject({ ok: true, view: { status: 'cancelled' } })
    expect(await waitFor(() => forModels([model]).every((r) => r.closedAt !== null), 10_000, 20)).toBe(true)

    // Each request started was aborted and its cell recorded as cancelled; after both instances stop (every job
    // ended), still no other request was sent.
    const started = forModels([model]).length
    await until(team.a, id, (v) => v.progress.cancelled === started, 10_000)
    await Promise.all([team.a.studies.close(), team.b.studies.close()])
    const requests = forModels([model])
    expect(requests).toHaveLength(started)
    expect(requests.filter(by('a')).every((r) => r.aborted)).toBe(true)
    expect(requests.filter(by('a')).length).toBeGreaterThan(0)
    expect(requests.every((r) => r.aborted)).toBe(true)
    const view = (await team.a.studies.get(id))!
    expect(view.status).toBe('cancelled')
    expect(view.progress.cancelled).toBe(requests.length)
    expect(view.progress.done).toBe(0)
  })

  it('an instance closed mid-study leaves its cells to the other, which finishes every one', async () => {
    const model = script('handover', slowText(40))
    const team = startTeam([model])
    const id = await create(team.a, study([`p1/${model}`, `p2/${model}`], 8))
    expect(await waitFor(() => forModels([model]).some((r) => by('a')(r) && r.closedAt === null), 15_000, 10)).toBe(
      true,
    )
    await team.a.studies.close()
    const cutOnA = forModels([model]).filter((r) => by('a')(r) && r.aborted).length
    expect(cutOnA).toBeGreaterThan(0)

    const view = await until(team.b, id, (v) => v.status !== 'running')
    expect(view.status).toBe('done')
    expect(view.progress).toEqual({ done: 16, total: 16, ok: 16, errors: 0, cancelled: 0, pending: 0 })
    // Every cell answered once, plus the ones A was cut off in (run again on B).
    const requests = forModels([model])
    expect(requests.filter((r) => !r.aborted)).toHaveLength(16)
    expect(requests.filter((r) => r.aborted)).toHaveLength(cutOnA)
    const cells = (await team.b.studies.cells(id))!
    expect(cells.every((c) => c.status === 'ok')).toBe(true)
  })

  it('a cell of an instance killed mid-cell (kill -9) is taken over by the other, which finishes', async () => {
    const model = script('killed', slowText(150))
    test++
    const path = join(dir, `team-${test}.db`)
    const prefix = `t${test}:`
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CHILD, path, redis.url, prefix, upstream.url, model, KEY.a],
      { cwd: resolve(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const exited = new Promise<NodeJS.Signals | null>((done) => child.on('exit', (_code, signal) => done(signal)))
    const id = await new Promise<string>((done, fail) => {
      let out = ''
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString()
        const m = /STUDY (\S+)\n/.exec(out)
        if (m) done(m[1]!)
      })
      void exited.then(() => fail(new Error(`the child exited before creating its study: ${stderr}`)))
    })
    const inFlightOnA = () => forModels([model]).some((r) => by('a')(r) && r.closedAt === null)
    expect(await waitFor(inFlightOnA, 15_000, 5)).toBe(true)
    child.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')

    const runStore = openSqliteRunStore(path)
    const shared = { runStore, studyStore: new SqliteStudyStore(runStore.db), models: [model], prefix }
    const b = instance('b', shared, { lockDurationMs: 2000, stalledIntervalMs: 1000 })
    open = { a: b, b, ...shared }
    const view = await until(b, id, (v) => v.status !== 'running', 45_000)
    expect(view.status).toBe('done')
    expect(view.progress).toEqual({ done: 16, total: 16, ok: 16, errors: 0, cancelled: 0, pending: 0 })
    const requests = forModels([model])
    // The cells cut by the kill ran again on B: every cell has one complete answer.
    const cut = requests.filter((r) => by('a')(r) && r.aborted)
    expect(cut.length).toBeGreaterThan(0)
    expect(requests.filter((r) => !r.aborted)).toHaveLength(16)
    expect(requests.filter((r) => by('b')(r)).length).toBeGreaterThanOrEqual(cut.length)
  }, 60_000)
})
