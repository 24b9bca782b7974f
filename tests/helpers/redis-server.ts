import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { closedLoopbackPort } from './ports.ts'
import { stopChild } from './server-process.ts'

/** A real Redis server from Debian's `redis-server` package, on a free loopback port, nothing saved to disk. */
export interface RedisServer {
  url: string
  port: number
  /** SIGKILL: Redis "going away". `start()` brings it back (empty: nothing is persisted). */
  kill(): Promise<void>
  start(): Promise<void>
  stop(): Promise<void>
}

export function redisServerPath(): string {
  for (const p of ['/usr/bin/redis-server', '/usr/local/bin/redis-server']) if (existsSync(p)) return p
  throw new Error('Redis is not installed: apt-get install redis-server (npm test does)')
}

export async function startRedis(): Promise<RedisServer> {
  const bin = redisServerPath()
  const dir = mkdtempSync(join(tmpdir(), 'juxta-redis-'))
  const port = await closedLoopbackPort()
  let child: ChildProcess | null = null
  let log = ''
  const launch = async () => {
    log = ''
    child = spawn(
      bin,
      [
        ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
        ...['--daemonize', 'no', '--loglevel', 'warning'],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    child.stdout!.on('data', (d: Buffer) => (log += d.toString()))
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()))
    await waitForPort(port, () => log)
  }
  const halt = async (signal: NodeJS.Signals) => {
    const c = child
    child = null
    if (c) await stopChild(c, signal)
  }
  await launch()
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill: () => halt('SIGKILL'),
    start: launch,
    async stop() {
      await halt('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function waitForPort(port: number, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ port, host: '127.0.0.1' })
      s.once('connect', () => {
        s.end('PING\r\n')
        resolve(true)
      })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`Redis did not start\n${log()}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}
