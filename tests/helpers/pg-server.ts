import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { closedLoopbackPort } from './ports.ts'
import { stopChild } from './server-process.ts'

/**
 * A real PostgreSQL server from Debian's `postgresql` package, in a temporary directory on a free loopback port:
 * started with `startPostgres()`, stopped (and its directory removed) with `stop()`. As root, the server runs as
 * the `postgres` user, since initdb and postgres refuse to run as root.
 */
export interface PgServer {
  /** `postgres://postgres@127.0.0.1:PORT/postgres`: the maintenance database. */
  adminUrl: string
  port: number
  /** A fresh, empty database of its own for one test (or one suite), and its URL. */
  createDatabase(name?: string): Promise<string>
  /**
   * Stops the server at once (SIGQUIT: every backend ends, connections drop, no checkpoint): a database "going
   * away". Committed data stays; `start()` brings it back through crash recovery.
   */
  kill(): Promise<void>
  /** Starts it again on the same port and data directory after `kill()`. */
  start(): Promise<void>
  stop(): Promise<void>
}

/** The highest installed server version's bin directory (Debian: /usr/lib/postgresql/N/bin). */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : []
  if (versions.length === 0) throw new Error('PostgreSQL is not installed: apt-get install postgresql (npm test does)')
  return join(root, versions[0]!, 'bin')
}

function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {}
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim())
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim())
  return { uid, gid }
}

let databaseCount = 0

export async function startPostgres(): Promise<PgServer> {
  const bin = postgresBinDir()
  const user = runAs()
  // /tmp, not TMPDIR: a TMPDIR under /root would be closed to the postgres user. The locale is C.UTF-8, which
  // every Debian has, whatever LANG names (initdb refuses a locale that is not installed).
  const dir = mkdtempSync(join(process.getuid?.() === 0 ? '/tmp' : tmpdir(), 'juxta-pg-'))
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid!)
  const data = join(dir, 'data')
  try {
    execFileSync(
      join(bin, 'initdb'),
      ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'],
      {
        ...user,
        // The postgres user may not be allowed into the checkout (a clone under /root): run where it owns the files.
        cwd: dir,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    )
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    const stderr = String((err as { stderr?: Buffer }).stderr ?? '').trim()
    throw new Error(`initdb failed: ${stderr || (err as Error).message}`)
  }
  const port = await closedLoopbackPort()
  let child: ChildProcess | null = null
  let log = ''
  const launch = async () => {
    log = ''
    child = spawn(
      join(bin, 'postgres'),
      [
        ...['-D', data, '-p', String(port), '-k', dir],
        // fsync off only loses data when the machine itself crashes; commits stay durable across a server kill.
        ...['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
        ...['-c', 'full_page_writes=off', '-c', 'max_connections=200'],
      ],
      { ...user, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
    )
    child.stderr!.on('data', (d: Buffer) => {
      if (log.length < 20_000) log += d.toString()
    })
    await waitUntilReady(`postgres://postgres@127.0.0.1:${port}/postgres`, () => log)
  }
  const halt = async (signal: NodeJS.Signals) => {
    const c = child
    child = null
    if (c) await stopChild(c, signal)
  }
  await launch()
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`
  return {
    adminUrl,
    port,
    async createDatabase(name) {
      const db = name ?? `t${process.pid}_${++databaseCount}_${Date.now().toString(36)}`
      const client = new pg.Client({ connectionString: adminUrl })
      await client.connect()
      try {
        await client.query(`CREATE DATABASE "${db}"`)
      } finally {
        await client.end()
      }
      return `postgres://postgres@127.0.0.1:${port}/${db}`
    },
    kill: () => halt('SIGQUIT'),
    start: launch,
    async stop() {
      // SIGQUIT: immediate shutdown, no checkpoint; the directory is removed anyway.
      await halt('SIGQUIT')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function waitUntilReady(url: string, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000
  for (;;) {
    const client = new pg.Client({ connectionString: url })
    client.on('error', () => {})
    try {
      await client.connect()
      await client.query('SELECT 1')
      await client.end()
      return
    } catch (err) {
      await client.end().catch(() => {})
      if (Date.now() > deadline) throw new Error(`PostgreSQL did not start: ${String(err)}\n${log()}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
}
