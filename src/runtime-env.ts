import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Hono } from 'hono'
import { createApp } from './app.ts'
import type { AppContext } from './context.ts'
import { projectRoot } from './project-root.ts'
import { type AccessSettings, readAccessEnv } from './security/access-env.ts'

// What both runtimes (SQLite: runtime.ts, PostgreSQL: team/team-runtime.ts) share, apart from either of them.

/** A problem with the environment, the config or the data directory: one message for the person starting Juxta. */
export class StartupError extends Error {}

export interface Runtime {
  ctx: AppContext
  app: Hono
  /** Bind address and port, as given (a port of 0 picks a free one). */
  host: string
  port: number
  configPath: string
  dataDir: string
  /** Writes what is buffered and closes the database. Safe to call more than once. */
  close(): Promise<void>
}

export interface RuntimeOptions {
  /** Where relative paths (`./juxta.yaml`, `./data`) are resolved; default the process's working directory. */
  cwd?: string
  /** Default: console.log. */
  log?: (line: string) => void
}

/** What every runtime reads first, SQLite or PostgreSQL: port, access rules, config and data paths, the log. */
export interface BaseEnv {
  log: (line: string) => void
  port: number
  access: AccessSettings
  configPath: string
  dataDir: string
  cwd: string
}

export function readBaseEnv(env: Readonly<Record<string, string | undefined>>, options: RuntimeOptions): BaseEnv {
  const cwd = options.cwd ?? process.cwd()
  const log = options.log ?? ((line: string) => console.log(line))
  const port = Number(env.PORT ?? 8787)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new StartupError(`PORT must be a port number, got "${env.PORT}"`)
  }
  const access = readAccessEnv(env)
  if (!access.ok) throw new StartupError(access.message)
  const localConfig = resolve(cwd, 'juxta.yaml')
  const configPath = env.JUXTA_CONFIG
    ? resolve(cwd, env.JUXTA_CONFIG)
    : existsSync(localConfig)
      ? localConfig
      : resolve(projectRoot(), 'config', 'default.yaml')
  const dataDir = resolve(cwd, env.JUXTA_DATA_DIR ?? 'data')
  return { log, port, access: access.settings, configPath, dataDir, cwd }
}

/** Runs one start-up step, turning its own expected error type into a StartupError with the same message. */
export function startupStep<T>(step: () => T, expected: new (...args: never[]) => Error): T {
  try {
    return step()
  } catch (err) {
    if (err instanceof expected) throw new StartupError(err.message)
    throw err
  }
}

/** At shutdown, how long writes kept for an unavailable database may still wait before they are given up. */
export const CLOSE_GRACE_MS = 5000

/**
 * A built context served: its app, and a close that drains it once (drainContext) and then lets go of what the
 * runtime holds (`release`: its database, its Redis, its lease). Both runtimes end here.
 */
export function servedRuntime(ctx: AppContext, base: BaseEnv, release: () => Promise<unknown>): Runtime {
  let closing: Promise<void> | null = null
  return {
    ctx,
    app: createApp(ctx),
    host: base.access.host,
    port: base.port,
    configPath: base.configPath,
    dataDir: base.dataDir,
    close: () => {
      closing ??= drainContext(ctx)
        .finally(() => release().catch(() => {}))
        .then(() => {})
      return closing
    },
  }
}

/**
 * The first half of every runtime's close, whatever the database: studies first (their cells in flight are
 * aborted and run again on resume), then what the recorder holds is written (given up after `CLOSE_GRACE_MS`
 * when the database is away), then the live logs. Runs still streaming stay "running" and become
 * "interrupted" later; what they received so far is written now rather than lost with the last buffering.
 */
export async function drainContext(ctx: AppContext): Promise<void> {
  await Promise.resolve(ctx.studies?.close()).catch(() => {})
  const abandon = setTimeout(() => ctx.recorder.abandonRetries?.(), CLOSE_GRACE_MS)
  await Promise.resolve(ctx.recorder.flush?.()).catch(() => {})
  clearTimeout(abandon)
  await Promise.resolve(ctx.live.close()).catch(() => {})
}
