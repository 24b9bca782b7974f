import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { performance } from 'node:perf_hooks'

export const ROOT = resolve(import.meta.dirname, '..')
const SERVER = resolve(ROOT, 'dist/src/server.js')
const PROBE = resolve(ROOT, 'bench/juxta-probe.mjs')
const CLK_TCK = 100

export interface ProbeMemory {
  heapUsed: number
  rss: number
  external: number
  arrayBuffers: number
}

export interface JuxtaProcess {
  pid: number
  port: number
  /** performance.now() when the process was spawned and when it printed its listening line. */
  spawnedAt: number
  listeningAt: number
  pinnedCore: number | null
  /** User + system CPU of the Juxta process so far, in ms (/proc/<pid>/stat, 10 ms ticks). */
  cpuMs(): number
  /** Time the Juxta main thread spent runnable but waiting for a CPU (/proc/<pid>/schedstat), in ms. */
  runqueueMs(): number
  /** Resident set from /proc/<pid>/status, in bytes. */
  rssBytes(): number
  /** Heap and RSS after a forced GC, through the bench-only preload. */
  memory(): Promise<ProbeMemory>
  /** Writes a V8 heap snapshot of the Juxta process (a developer aid; the bench itself does not use it). */
  snapshot(path: string): Promise<string>
  stop(): Promise<void>
  output(): string
}

/** Builds dist/ the way `npm start` does (scripts/build.mjs); a failed build stops the bench. */
export function buildApp(): void {
  const r = spawnSync(process.execPath, [resolve(ROOT, 'scripts/build.mjs'), '--quiet'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
  if (r.status !== 0 || !existsSync(SERVER)) throw new Error(`the build failed:\n${r.stdout}${r.stderr}`)
}

/**
 * Run-queue wait of a process's main thread in ms: time it was ready to run while other processes held
 * the CPU. On a shared machine this tells machine noise apart from slowness of the process itself.
 */
export function runqueueMs(pid: number = process.pid): number {
  const fields = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(' ')
  return Number(fields[1]) / 1e6
}

export function hasTaskset(): boolean {
  return spawnSync('taskset', ['-p', String(process.pid)], { encoding: 'utf8' }).status === 0
}

/** Pins a process (this one by default) to one core; returns false when that is not possible. */
export function pin(core: number, pid = process.pid): boolean {
  // The main thread only: pinning V8's GC helper threads too made the bench's own gap p99 jump from ~0.2 ms
  // to ~2.5 ms (they then compete with the load generator), which is worse than their rare visits to core 1.
  return spawnSync('taskset', ['-pc', String(core), String(pid)], { encoding: 'utf8' }).status === 0
}

export async function startJuxta(options: {
  configPath: string
  dataDir: string
  core: number | null
  /** More environment for this process (DATABASE_URL, REDIS_URL, JUXTA_SECRET, JUXTA_INSTANCE_ID, …). */
  env?: Record<string, string>
}): Promise<JuxtaProcess> {
  // BENCH_CPU_PROF=1 writes a V8 CPU profile of the Juxta process to bench/results/prof/ when it stops.
  const prof =
    process.env.BENCH_CPU_PROF === '1' ? ['--cpu-prof', `--cpu-prof-dir=${resolve(ROOT, 'bench/results/prof')}`] : []
  const nodeArgs = [...prof, '--expose-gc', '--import', PROBE, SERVER]
  const [cmd, args] =
    options.core !== null
      ? ['taskset', ['-c', String(options.core), process.execPath, ...nodeArgs]]
      : [process.execPath, nodeArgs]
  const spawnedAt = performance.now()
  const child: ChildProcess = spawn(cmd, args as string[], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      JUXTA_CONFIG: options.configPath,
      JUXTA_DATA_DIR: options.dataDir,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  let out = ''
  const keep = (d: Buffer) => {
    out += d.toString('utf8')
    if (out.length > 20_000) out = out.slice(-10_000)
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)

  const port = await new Promise<number>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`Juxta did not start within 15 s:\n${out}`)), 15_000)
    const onData = () => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        child.stdout!.off('data', onData)
        res(Number(m[1]))
      }
    }
    child.stdout!.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      rej(new Error(`Juxta exited (${code}) before listening:\n${out}`))
    })
  })
  const listeningAt = performance.now()
  const pid = child.pid!

  let seq = 0
  const pending = new Map<number, (m: ProbeMemory & { path?: string }) => void>()
  child.on('message', (msg: { type?: string; id?: number } & ProbeMemory) => {
    if (!msg?.type?.startsWith('juxta-bench:') || msg.id === undefined) return
    pending.get(msg.id)?.(msg)
    pending.delete(msg.id)
  })
  const ask = <T>(message: Record<string, unknown>, timeoutMs: number) =>
    new Promise<T>((res, rej) => {
      const id = ++seq
      const timer = setTimeout(() => rej(new Error(`${String(message.type)} timed out`)), timeoutMs)
      pending.set(id, (m) => {
        clearTimeout(timer)
        res(m as T)
      })
      child.send({ ...message, id })
    })

  return {
    pid,
    port,
    spawnedAt,
    listeningAt,
    pinnedCore: options.core,
    cpuMs() {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      // Fields 14 and 15 of stat(5) (utime, stime) are at 11 and 12 after "pid (comm) ".
      return ((Number(fields[11]) + Number(fields[12])) / CLK_TCK) * 1000
    },
    runqueueMs: () => runqueueMs(pid),
    rssBytes() {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      return m ? Number(m[1]) * 1024 : Number.NaN
    },
    memory: () => ask<ProbeMemory>({ type: 'juxta-bench:memory' }, 10_000),
    snapshot: (path) => ask<{ path: string }>({ type: 'juxta-bench:snapshot', path }, 60_000).then((m) => m.path),
    async stop() {
      if (child.exitCode !== null) return
      const exited = new Promise<void>((r) => child.once('exit', () => r()))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
      await exited
      clearTimeout(timer)
    },
    output: () => out,
  }
}
