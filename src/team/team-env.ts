import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { describePgUrl } from '../storage/postgres/pg-url.ts'

/** What the environment says about shared state: a server database, a Redis for what is live, who this is. */
export interface TeamSettings {
  /** DATABASE_URL (postgres://…); without it history is the SQLite file in the data directory. */
  databaseUrl?: string
  /** REDIS_URL (redis://… or rediss://…): live runs, commands, study queue and settings shared by instances. */
  redisUrl?: string
  /** Every Redis key and channel starts with it (JUXTA_REDIS_PREFIX, default `juxta:`). */
  redisPrefix: string
  /** This process among the instances (JUXTA_INSTANCE_ID, default host-pid-random): unique per start. */
  instanceId: string
}

const PREFIX = /^[A-Za-z0-9:_.-]{1,64}$/
const INSTANCE = /^[A-Za-z0-9_.-]{1,100}$/

/**
 * Reads DATABASE_URL, REDIS_URL, JUXTA_REDIS_PREFIX and JUXTA_INSTANCE_ID. The rules, each with the reason to
 * refuse to start:
 * - DATABASE_URL needs JUXTA_SECRET: keys entered in the settings page are kept in the database, sealed.
 * - REDIS_URL needs DATABASE_URL: instances that share live state must share the history it refers to.
 * (A second instance on one database without REDIS_URL is refused at start by the instance registry.)
 */
export function readTeamEnv(
  env: Readonly<Record<string, string | undefined>>,
): { ok: true; settings: TeamSettings } | { ok: false; message: string } {
  const databaseUrl = env.DATABASE_URL?.trim() || undefined
  const redisUrl = env.REDIS_URL?.trim() || undefined
  if (databaseUrl) {
    const problem = urlProblem(databaseUrl, ['postgres:', 'postgresql:'])
    if (problem) return { ok: false, message: `DATABASE_URL ${problem} (e.g. postgres://juxta:PASSWORD@db:5432/juxta)` }
    if (!env.JUXTA_SECRET) {
      return {
        ok: false,
        message:
          `DATABASE_URL (${describePgUrl(databaseUrl)}) needs JUXTA_SECRET: API keys saved in the settings page are ` +
          'kept in the database, encrypted with it. Generate one with: openssl rand -hex 32 ' +
          '(every instance needs the same value)',
      }
    }
  }
  if (redisUrl) {
    const problem = urlProblem(redisUrl, ['redis:', 'rediss:'])
    if (problem) return { ok: false, message: `REDIS_URL ${problem} (e.g. redis://redis:6379)` }
    if (!databaseUrl) {
      return {
        ok: false,
        message:
          'REDIS_URL is set without DATABASE_URL: instances that share live state must share one history. ' +
          'Set DATABASE_URL=postgres://… as well, or unset REDIS_URL for a single instance on SQLite',
      }
    }
  }
  const redisPrefix = env.JUXTA_REDIS_PREFIX?.trim() || 'juxta:'
  if (!PREFIX.test(redisPrefix)) {
    return { ok: false, message: 'JUXTA_REDIS_PREFIX must be 1-64 letters, digits or : _ . -' }
  }
  const given = env.JUXTA_INSTANCE_ID?.trim()
  if (given && !INSTANCE.test(given)) {
    return { ok: false, message: 'JUXTA_INSTANCE_ID must be 1-100 letters, digits or _ . -' }
  }
  // A restarted instance must not inherit the runs of its previous life: the default is new at every start.
  const instanceId =
    given ??
    `${
      hostname()
        .replace(/[^A-Za-z0-9_.-]/g, '')
        .slice(0, 40) || 'juxta'
    }-${process.pid}-${randomBytes(3).toString('hex')}`
  return { ok: true, settings: { databaseUrl, redisUrl, redisPrefix, instanceId } }
}

function urlProblem(value: string, protocols: string[]): string | null {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'is not a URL'
  }
  if (!protocols.includes(url.protocol)) return `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`
  if (!url.hostname) return 'names no host'
  return null
}
