import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { type FakeUpstream, startFakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig } from '../helpers/juxta.ts'
import { type PgServer, startPostgres } from '../helpers/pg-server.ts'
import { type RedisServer, startRedis } from '../helpers/redis-server.ts'
import { type ServerProcess, startServerProcess, stopChild } from '../helpers/server-process.ts'
import { readSSE, type SSEFrame } from '../helpers/sse.ts'

/** Team mode for real: PostgreSQL, Redis, a loopback upstream and Juxta server processes started on demand. */
export interface TeamRig {
  pg: PgServer
  redis: RedisServer
  upstream: FakeUpstream
  dir: string
  configPath: string
  children: ChildProcess[]
  /** A server process on `databaseUrl` (by default with this rig's Redis); `env` adds or overrides variables. */
  start(o: { databaseUrl: string; id: string; env?: Record<string, string>; redis?: boolean }): Promise<Instance>
  stop(): Promise<void>
}

export interface Instance extends ServerProcess {
  id: string
  /** Everything the process printed so far (stdout and stderr). */
  output(): string
}

export const SECRET = 'e2e-team-secret-0123456789abcdef0123456789abcdef'

export async function startTeamRig(models: string[]): Promise<TeamRig> {
  const [pgServer, redis, upstream] = await Promise.all([startPostgres(), startRedis(), startFakeUpstream()])
  const dir = mkdtempSync(join(tmpdir(), 'juxta-team-'))
  const configPath = join(dir, 'juxta.yaml')
  // JSON is YAML: the config the in-process tests use, pointed at this upstream, with room for long runs.
  const config = fakeConfig(
    { p: { base_url: upstream.url, models: models.map((id) => ({ id, price: { input: 1, output: 2 } })) } },
    { deadline_ms: 120_000, idle_timeout_ms: 20_000 },
  )
  writeFileSync(configPath, JSON.stringify(config))
  const children: ChildProcess[] = []
  return {
    pg: pgServer,
    redis,
    upstream,
    dir,
    configPath,
    children,
    async start({ databaseUrl, id, env = {}, redis: withRedis = true }) {
      const dataDir = join(dir, `data-${id}`)
      const started = await startServerProcess({
        configPath,
        dataDir,
        children,
        timeoutMs: 30_000,
        env: {
          DATABASE_URL: databaseUrl,
          JUXTA_SECRET: SECRET,
          JUXTA_INSTANCE_ID: id,
          ...(withRedis ? { REDIS_URL: redis.url } : {}),
          ...env,
        },
      })
      let out = ''
      started.child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
      started.child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
      return { ...started, id, output: () => out }
    },
    async stop() {
      await Promise.all(children.filter((c) => c.exitCode === null).map((c) => stopChild(c)))
      await upstream.close()
      await Promise.all([pgServer.stop(), redis.stop()])
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Runs a process to its end (for start-ups that must fail): exit code and everything it printed. */
export function outcome(child: ChildProcess, timeoutMs = 30_000): Promise<{ code: number | null; output: string }> {
  let output = ''
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`process did not exit: ${output}`))
    }, timeoutMs)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

/** A streamed compare started on `url`; the frames are read to the end in the background. */
export async function startRun(url: string, target: string, prompt = 'Count for me') {
  const res = await fetch(`${url}/api/compare`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify({ prompt, targets: [target], stream: true }),
  })
  if (res.status !== 200) throw new Error(`compare answered ${res.status}: ${await res.text()}`)
  const frames = readSSE(res.body!)
  const first = (await frames.next()).value as SSEFrame
  if (first.event !== 'run') throw new Error(`first frame: ${JSON.stringify(first)}`)
  const runId = (JSON.parse(first.data) as { run_id: string }).run_id
  const seen: SSEFrame[] = [first]
  const all = (async () => {
    try {
      for await (const f of frames) seen.push(f)
    } catch {
      // The server went away (kill -9): what was seen is kept.
    }
    return seen
  })()
  return { runId, seen, all }
}

export interface StoredRun {
  id: string
  status: string
  results: Array<{ status: string; text: string; usage?: Record<string, unknown>; cost?: unknown }>
}

export async function getRun(url: string, runId: string): Promise<{ status: number; body: StoredRun }> {
  const res = await fetch(`${url}/api/runs/${runId}`)
  return { status: res.status, body: (await res.json()) as StoredRun }
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await probe()
      if (v !== undefined) return v
    } catch (err) {
      last = err
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** One query on the shared database, from the test (a client of its own, closed after). */
export async function query<R extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: url })
  client.on('error', () => {})
  await client.connect()
  try {
    return (await client.query<R>(sql, params)).rows
  } finally {
    await client.end()
  }
}

/** The server as a process whose start may fail: the same command as startServerProcess, nothing awaited. */
export function spawnServer(rig: TeamRig, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      JUXTA_CONFIG: rig.configPath,
      JUXTA_DATA_DIR: join(rig.dir, 'data-spawned'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  rig.children.push(child)
  return child
}
