import { randomBytes } from 'node:crypto'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { startPostgres } from '../tests/helpers/pg-server.ts'
import { startRedis } from '../tests/helpers/redis-server.ts'
import { type JuxtaProcess, startJuxta } from './juxta-process.ts'
import { openLoop } from './open-loop.ts'
import { judge, LOAD_MODELS, type LoadResult, settle } from './phase-concurrency.ts'
import { ADDED_P99_MS, DIRECT_P99_MS, RATES } from './phase-open-loop.ts'
import { affinity, findProcess, machineBusyMs, setAffinity, treeCpuMs } from './proc-cpu.ts'
import { directRaw, juxtaCompare } from './readers.ts'
import { ms, row, type Row } from './report.ts'
import { type Rig, tagFor, target } from './rig.ts'
import { newAgent } from './sse-client.ts'
import { shuffle } from './stats.ts'

/** After the last arrival, how long a run may still take before the streams left are cut (counted as errors). */
const DRAIN_MS = 10_000
/** No new rate is started past this time since the phase began, so the phase stays near two minutes. */
const BUDGET_MS = { full: 80_000, quick: 30_000 }

type Kind = 'direct' | 'one' | 'two'

/** CPU shares of one core during a run (0.5 = half a core): each instance, PostgreSQL, Redis, the bench. */
interface CpuShares {
  instances: number[]
  /** Time each instance's main thread was ready to run but waited for a CPU, as a share of the run. */
  instanceWaits: number[]
  postgres: number
  redis: number
  bench: number
  /** Every other process on the machine (other people's work), as a share of the whole machine. */
  otherOfMachine: number
}

interface Step {
  rate: number
  direct: LoadResult
  one: LoadResult
  two: LoadResult
  cpu: Record<Kind, CpuShares>
  addedP50: { one: number; two: number }
  addedP99: { one: number; two: number }
  held: { one: boolean; two: boolean }
  directHeld: boolean
  /** Streams still open DRAIN_MS after the last arrival, cut by the bench. */
  cut: Record<Kind, number>
}

/** Waits for every handle; those still open DRAIN_MS after now are disconnected (their `done` then says so). */
async function drain<T>(
  handles: Array<{ done: Promise<T>; disconnect(): number }>,
): Promise<{ outs: T[]; cut: number }> {
  const open = new Set(handles)
  for (const h of handles) void h.done.then(() => open.delete(h))
  let cut = 0
  const timer = setTimeout(() => {
    cut = open.size
    for (const h of open) h.disconnect()
  }, DRAIN_MS)
  const outs = await Promise.all(handles.map((h) => h.done))
  clearTimeout(timer)
  return { outs, cut }
}

/**
 * The bench's view of the processes in this phase: the instances, PostgreSQL (postmaster and its backends) and
 * Redis, each as CPU ms so far.
 */
interface Meters {
  instances: JuxtaProcess[]
  postgresPid: number | null
  redisPid: number | null
  rig: Rig
}

function sample(m: Meters) {
  const own = process.cpuUsage()
  return {
    at: performance.now(),
    instances: m.instances.map((j) => j.cpuMs()),
    waits: m.instances.map((j) => j.runqueueMs()),
    postgres: m.postgresPid === null ? Number.NaN : treeCpuMs(m.postgresPid),
    redis: m.redisPid === null ? Number.NaN : treeCpuMs(m.redisPid),
    bench: (own.user + own.system) / 1000,
    rigJuxta: m.rig.juxta.cpuMs(),
    machine: machineBusyMs(),
  }
}

function shares(a: ReturnType<typeof sample>, b: ReturnType<typeof sample>, cores: number): CpuShares {
  const wall = b.at - a.at
  const instances = b.instances.map((v, i) => (v - a.instances[i]!) / wall)
  const instanceWaits = b.waits.map((v, i) => (v - a.waits[i]!) / wall)
  const postgres = (b.postgres - a.postgres) / wall
  const redis = (b.redis - a.redis) / wall
  const bench = (b.bench - a.bench) / wall
  const known =
    instances.reduce((s, v) => s + v, 0) +
    (Number.isNaN(postgres) ? 0 : postgres) +
    (Number.isNaN(redis) ? 0 : redis) +
    bench +
    (b.rigJuxta - a.rigJuxta) / wall
  const otherOfMachine = Math.max(0, (b.machine - a.machine) / wall - known) / cores
  return { instances, instanceWaits, postgres, redis, bench, otherOfMachine }
}

const pct = (share: number) => (Number.isFinite(share) ? `${(share * 100).toFixed(0)}%` : '—')

/**
 * Row 10b: the open-loop compare rate on PostgreSQL + Redis with one instance and with two. The same 3-target
 * compares as row 10 (20 ms TTFT, 50 tok/s for 1 s each) arrive at the same rates, sent to instance A alone, or
 * round-robin to A and B (no proxy), with the same schedule straight at the mock as baseline, in random order per
 * rate. Each instance is its own process (the built server); the instances, PostgreSQL and Redis are not pinned
 * (the bench itself stays on its core), and CPU is read per process to show where the cores went.
 */
export async function measureTeamOpenLoop(rig: Rig, o: { configPath: string; workDir: string }): Promise<Row[]> {
  const began = performance.now()
  const seconds = rig.quick ? 1 : 3
  const rates = rig.quick ? RATES.slice(0, 3) : RATES
  const budget = rig.quick ? BUDGET_MS.quick : BUDGET_MS.full
  // The machine's cores, not this process's: run.ts pins the bench to one core.
  const cores = cpus().length

  // Children inherit the CPU affinity of the thread that spawns them, and run.ts pins this one to core 0: the
  // servers are started from an unpinned thread, so the scheduler may put them on any core.
  const pinned = affinity()
  if (pinned !== null) setAffinity(`0-${cores - 1}`)
  const postgres = await startPostgres().catch((err) => {
    if (pinned !== null) setAffinity(pinned)
    throw err
  })
  const redis = await startRedis().catch(async (err) => {
    if (pinned !== null) setAffinity(pinned)
    await postgres.stop()
    throw err
  })
  const instances: JuxtaProcess[] = []
  try {
    const env = {
      DATABASE_URL: await postgres.createDatabase(),
      REDIS_URL: redis.url,
      JUXTA_SECRET: randomBytes(32).toString('hex'),
      JUXTA_REDIS_PREFIX: `bench${process.pid}:`,
    }
    // One after the other: the first migrates the new database, the second finds it ready.
    for (const name of ['a', 'b']) {
      instances.push(
        await startJuxta({
          configPath: o.configPath,
          dataDir: join(o.workDir, `team-${name}`),
          core: null,
          env: { ...env, JUXTA_INSTANCE_ID: `bench-${name}` },
        }),
      )
    }
    if (pinned !== null) setAffinity(pinned)
    const meters: Meters = {
      instances,
      rig,
      postgresPid: findProcess(
        (argv) => /\/postgres$/.test(argv[0] ?? '') && argv.join(' ').includes(` -p ${postgres.port} `),
      ),
      redisPid: findProcess((argv) => /redis-server/.test(argv[0] ?? '') && argv.join(' ').includes(`:${redis.port}`)),
    }
    rig.log(
      `  PostgreSQL on :${postgres.port} (pid ${meters.postgresPid ?? '?'}), Redis on :${redis.port} ` +
        `(pid ${meters.redisPid ?? '?'}), instances A :${instances[0]!.port} B :${instances[1]!.port} ` +
        `(CPUs ${affinity(instances[0]!.pid) ?? '?'}), ` +
        `ready in ${((performance.now() - began) / 1000).toFixed(1)} s`,
    )

    const ports = { one: [instances[0]!.port], two: instances.map((j) => j.port) }
    const viaInstances = async (kind: 'one' | 'two', rate: number, secs: number) => {
      // A pool per run: a keep-alive socket left idle through the other runs of the rate (~5 s) would reach the
      // server's keep-alive timeout, and a starved bench reuses it before it reads the close (ECONNRESET).
      const agent = newAgent()
      const t0 = performance.now()
      const list = ports[kind]
      const handles = await openLoop(rate * secs, secs * 1000, (i) =>
        juxtaCompare(agent, list[i % list.length]!, LOAD_MODELS.map(target), tagFor('team')),
      )
      const { outs, cut } = await drain(handles)
      agent.destroy()
      const result = judge(
        outs.flatMap((c) => c.targets.map((trace) => ({ trace, startedAt: c.startedAt, error: c.error }))),
        performance.now() - t0,
      )
      return { result, cut }
    }
    const direct = async (rate: number, secs: number) => {
      const t0 = performance.now()
      const groups = await openLoop(rate * secs, secs * 1000, () => {
        const prompt = tagFor('team')
        return LOAD_MODELS.map((m) => directRaw(rig.mockAgent, rig.mock.port, m, prompt))
      })
      const { outs, cut } = await drain(groups.flat())
      const result = judge(
        outs.map((s) => ({ trace: s, startedAt: s.startedAt, error: s.error })),
        performance.now() - t0,
      )
      return { result, cut }
    }

    // Warm-up: JIT, pool connections and Redis streams on both instances, not measured.
    await viaInstances('two', 10, 1)
    await settle(rig)

    const steps: Step[] = []
    const skipped: number[] = []
    for (const rate of rates) {
      if (performance.now() - began > budget) {
        skipped.push(rate)
        continue
      }
      const step = { rate, cpu: {}, cut: {} } as Step
      for (const kind of shuffle<Kind>(['direct', 'one', 'two'])) {
        const before = sample(meters)
        const r = kind === 'direct' ? await direct(rate, seconds) : await viaInstances(kind, rate, seconds)
        step.cpu[kind] = shares(before, sample(meters), cores)
        step[kind] = r.result
        step.cut[kind] = r.cut
        await settle(rig)
      }
      step.addedP50 = { one: step.one.ttft.p50 - step.direct.ttft.p50, two: step.two.ttft.p50 - step.direct.ttft.p50 }
      step.addedP99 = { one: step.one.ttft.p99 - step.direct.ttft.p99, two: step.two.ttft.p99 - step.direct.ttft.p99 }
      step.directHeld = step.direct.errors === 0 && step.direct.stalls === 0 && step.direct.ttft.p99 <= DIRECT_P99_MS
      const held = (kind: 'one' | 'two') =>
        step.directHeld && step[kind].errors === 0 && step[kind].stalls === 0 && step.addedP99[kind] <= ADDED_P99_MS
      step.held = { one: held('one'), two: held('two') }
      steps.push(step)
      if (step.one.errors + step.two.errors > 0) {
        // What the instances said about it (their last lines), so an error can be told apart from a cut stream.
        for (const [i, j] of instances.entries()) {
          const tail = j.output().trim().split('\n').slice(-5).join('\n    ')
          rig.log(`  instance ${'AB'[i]} output, last lines:\n    ${tail}`)
        }
      }
      rig.log(
        `  ${rate}/s: added TTFT p50/p99 one ${ms(step.addedP50.one, 1)} / ${ms(step.addedP99.one, 1)}, ` +
          `two ${ms(step.addedP50.two, 1)} / ${ms(step.addedP99.two, 1)}; ` +
          `errors ${step.one.errors}/${step.two.errors}/${step.direct.errors} (one/two/direct); ` +
          `CPU one: A ${pct(step.cpu.one.instances[0]!)} (waited ${pct(step.cpu.one.instanceWaits[0]!)}); ` +
          `two: A ${pct(step.cpu.two.instances[0]!)} B ${pct(step.cpu.two.instances[1]!)}, ` +
          `PostgreSQL ${pct(step.cpu.two.postgres)}, Redis ${pct(step.cpu.two.redis)}, ` +
          `bench ${pct(step.cpu.two.bench)}; others ${pct(step.cpu.two.otherOfMachine)} of the machine`,
      )
    }
    return report(steps, { skipped, seconds, budget })
  } finally {
    if (pinned !== null) setAffinity(pinned)
    for (const j of instances.reverse()) await j.stop().catch(() => {})
    await redis.stop().catch(() => {})
    await postgres.stop().catch(() => {})
  }
}

/** The highest rate such that it and every lower rate held. */
function highestHeld(steps: Step[], kind: 'one' | 'two'): number {
  let best = 0
  for (const s of steps) {
    if (!s.held[kind]) break
    best = s.rate
  }
  return best
}

function report(steps: Step[], o: { skipped: number[]; seconds: number; budget: number }): Row[] {
  const { skipped, seconds } = o
  const rows: Row[] = []
  for (const s of steps) {
    for (const kind of ['one', 'two'] as const) {
      const c = s.cpu[kind]
      const cpu =
        kind === 'one' ? `A ${pct(c.instances[0]!)} CPU` : `A ${pct(c.instances[0]!)} + B ${pct(c.instances[1]!)} CPU`
      const who = kind === 'one' ? '1 instance' : '2 instances'
      rows.push(
        row({
          figure: `10b. team, ${who}, ${s.rate} compares/s: added TTFT p50 / p99; CPU`,
          juxta: `${ms(s.addedP50[kind], 1)} / ${ms(s.addedP99[kind], 1)}`,
          baseline: `${ms(s.direct.ttft.p50, 1)} / ${ms(s.direct.ttft.p99, 1)} raw`,
          added: ms(s.addedP99[kind], 1),
          ratio: cpu,
          target: `added p99 ≤ ${ADDED_P99_MS} ms`,
          result: s.held[kind] ? 'pass' : s.directHeld ? 'FAIL' : 'harness-bound',
          note:
            `${s.rate * seconds} compares over ${seconds} s; errors ${s[kind].errors} (direct ${s.direct.errors})` +
            `${s.cut[kind] ? `, ${s.cut[kind]} cut after ${DRAIN_MS / 1000} s` : ''}, stalls ${s[kind].stalls}, ` +
            `max gap ${ms(s[kind].maxGapMs, 0)}; waited for a CPU: ` +
            c.instanceWaits
              .slice(0, kind === 'one' ? 1 : 2)
              .map((w, i) => `${'AB'[i]} ${pct(w)}`)
              .join(', ') +
            ` of the time; PostgreSQL ${pct(c.postgres)}, Redis ${pct(c.redis)}, ` +
            `bench ${pct(c.bench)} of a core; other processes ${pct(c.otherOfMachine)} of the machine` +
            (s[kind].firstError ? `; first error: ${s[kind].firstError}` : ''),
          data: {
            rate: s.rate,
            instances: kind === 'one' ? 1 : 2,
            result: s[kind],
            direct: s.direct,
            cpu: c,
            directCpu: s.cpu.direct,
            cut: s.cut[kind],
          },
        }),
      )
    }
  }
  for (const rate of skipped) {
    rows.push(
      row({
        figure: `10b. team, ${rate} compares/s`,
        result: 'not measured',
        note: `skipped: the phase had used its ${o.budget / 1000} s budget (slow runs before it)`,
      }),
    )
  }
  const one = highestHeld(steps, 'one')
  const two = highestHeld(steps, 'two')
  const heldAt100 = steps.find((s) => s.rate === 100)
  rows.push(
    row({
      figure: '10b. team: highest rate held, 1 instance / 2 instances',
      juxta: `${one} / ${two} compares/s`,
      ratio: one > 0 ? `${(two / one).toFixed(2)}×` : '—',
      target: '≥ 100 compares/s',
      result: Math.max(one, two) >= 100 ? 'pass' : heldAt100 && !heldAt100.directHeld ? 'harness-bound' : 'FAIL',
      note:
        `rates held: one ${
          steps
            .filter((s) => s.held.one)
            .map((s) => s.rate)
            .join(', ') || 'none'
        }; ` +
        `two ${
          steps
            .filter((s) => s.held.two)
            .map((s) => s.rate)
            .join(', ') || 'none'
        }`,
    }),
  )
  return rows
}
