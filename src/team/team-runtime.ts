import { createHash } from 'node:crypto'
import { Redis } from 'ioredis'
import { ConfigError, loadConfigFile } from '../config/load.ts'
import { createContext } from '../context.ts'
import {
  servedRuntime,
  type Runtime,
  type RuntimeOptions,
  readBaseEnv,
  StartupError,
  startupStep,
} from '../runtime-env.ts'
import { RedisLoginThrottle } from '../security/redis-login-throttle.ts'
import { RedisSettingsBus } from '../settings/redis-settings-bus.ts'
import { StorageError } from '../storage/database.ts'
import { PgArenaStore } from '../storage/postgres/pg-arena-store.ts'
import { openPgDatabase } from '../storage/postgres/pg-database.ts'
import { PgPresetStore } from '../storage/postgres/pg-preset-store.ts'
import { PgRunStore } from '../storage/postgres/pg-run-store.ts'
import { PgSessionStore } from '../storage/postgres/pg-session-store.ts'
import { openPgSettings } from './pg-settings.ts'
import { PgStudyStore } from '../storage/postgres/pg-study-store.ts'
import { describePgUrl } from '../storage/postgres/pg-url.ts'
import { StudyTeam } from '../studies/study-team.ts'
import { InstanceIdTaken, InstanceRegistry } from './instance-registry.ts'
import type { TeamSettings } from './team-env.ts'

/**
 * Juxta on PostgreSQL (DATABASE_URL) and, for several instances, Redis (REDIS_URL): every store on one pool,
 * this instance's lease in the shared registry, and with Redis the shared live runs, commands, study queue,
 * login throttle and settings announcements. Opens connections but never listens; `close()` ends them all.
 */
export async function buildTeamRuntime(
  env: Readonly<Record<string, string | undefined>>,
  options: RuntimeOptions & { team: TeamSettings },
): Promise<Runtime> {
  const base = readBaseEnv(env, options)
  const { log, access, configPath } = base
  const team = options.team
  const config = startupStep(() => loadConfigFile(configPath, env), ConfigError)
  const where = describePgUrl(team.databaseUrl!)
  const pool = await startupAsync(() => openPgDatabase(team.databaseUrl!, { log }), where)
  const cleanup: Array<() => Promise<unknown>> = [() => pool.end()]
  const undo = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => {})
  }
  try {
    const redis = team.redisUrl ? await connectRedis(team.redisUrl, log) : null
    if (redis) cleanup.push(() => redis.quit())
    const store = new PgRunStore(pool, { instanceId: team.instanceId })
    const studyStore = new PgStudyStore(pool)
    const registry = new InstanceRegistry({
      pool,
      instanceId: team.instanceId,
      interruptRunsOf: (owners) => store.interruptRunsOf(owners),
      log,
      liveState: team.redisUrl ? liveStateOf(team.redisUrl, team.redisPrefix) : null,
    })
    const others = await registry.register().catch((err) => {
      throw err instanceof InstanceIdTaken ? new StartupError(`Refusing to start: ${err.message}`) : err
    })
    cleanup.push(() => registry.close())
    // A lease of a process killed moments ago (a crash, then a restart by systemd) is live for up to the ttl but
    // no longer renewed: only instances still renewing theirs count.
    const renewed = others > 0 && !redis ? await registry.renewedOthers() : 0
    if (renewed > 0) {
      throw new StartupError(
        `Refusing to start: ${renewed} other Juxta instance(s) use ${where} and REDIS_URL is not set. ` +
          'Several instances share live runs, stops, study work and settings through Redis: set REDIS_URL ' +
          '(the same for every instance), or stop the other instance',
      )
    }
    const unlike = others > 0 ? await registry.unlikeOthers() : 0
    if (unlike > 0) {
      throw new StartupError(
        `Refusing to start: ${unlike} other Juxta instance(s) on ${where} use another Redis or JUXTA_REDIS_PREFIX ` +
          '(or none). Instances sharing a database must share one REDIS_URL and prefix, or runs, stops and study ' +
          'work would not reach each other',
      )
    }
    // Alone on the database: studies left running by an earlier start stopped with it (with Redis, their cells
    // wait in the shared queue instead, for this instance to go on with them).
    if (renewed === 0 && !redis) {
      const studies = await studyStore.recoverInterrupted()
      if (studies > 0) log(`studies: marked ${studies} unfinished stud${studies === 1 ? 'y' : 'ies'} as interrupted`)
    }
    const shared = await startupAsync(() => openPgSettings(pool, { secret: access.secret, log }), where)
    const settingsBus = redis
      ? await RedisSettingsBus.open({ redis, prefix: team.redisPrefix, instanceId: team.instanceId, log })
      : undefined
    if (settingsBus) cleanup.push(() => settingsBus.close())
    const ctx = createContext(config, {
      store,
      presets: new PgPresetStore(pool),
      arena: new PgArenaStore(pool),
      keys: shared.keys,
      customProviders: shared.customProviders,
      sessionStore: new PgSessionStore(pool),
      loginThrottle: redis
        ? new RedisLoginThrottle({ redis, prefix: team.redisPrefix, now: Date.now, log })
        : undefined,
      settingsBus,
      studyStore,
      studyTeam: redis
        ? (deps) =>
            new StudyTeam({ redis: team.redisUrl!, prefix: team.redisPrefix, instanceId: team.instanceId, log }, deps)
        : undefined,
      live: { redis: redis ?? undefined, prefix: team.redisPrefix, instanceId: team.instanceId },
      access: access.access,
      log,
    })
    registry.start()
    log(
      `team: instance ${team.instanceId} on ${where}${redis ? ` with Redis (${redisWhere(team.redisUrl!)})` : ''}` +
        (others > 0 ? `, beside ${others} other instance(s)` : ''),
    )
    return servedRuntime(ctx, base, undo)
  } catch (err) {
    await undo()
    throw err
  }
}

/** A start-up step that talks to the database: its failure is one line naming the server (never its password). */
async function startupAsync<T>(step: () => Promise<T>, where: string): Promise<T> {
  try {
    return await step()
  } catch (err) {
    if (err instanceof StartupError) throw err
    const message = err instanceof Error ? err.message : String(err)
    if (err instanceof StorageError) throw new StartupError(message)
    throw new StartupError(`cannot use the database ${where}: ${message}`)
  }
}

/** Which Redis and prefix, without the password: equal for instances that share live state. */
function liveStateOf(url: string, prefix: string): string {
  let where = url
  try {
    const u = new URL(url)
    where = `${u.hostname.toLowerCase()}:${u.port || '6379'}${u.pathname || '/0'}`
  } catch {}
  return createHash('sha256').update(`${where}|${prefix}`).digest('hex').slice(0, 32)
}

function redisWhere(url: string): string {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.host}`
  } catch {
    return 'REDIS_URL'
  }
}

/**
 * Connects to Redis and waits until it answers: a wrong REDIS_URL stops the start with a message, while a Redis
 * that goes away later is reconnected by ioredis on its own (the error listener keeps it from crashing anything).
 */
async function connectRedis(url: string, log: (line: string) => void): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3, enableOfflineQueue: true })
  let last = 0
  // While starting, the cause is kept for the one start-up line (ioredis rejects with "Connection is closed").
  let starting = true
  let cause: Error | null = null
  redis.on('error', (err: Error) => {
    if (starting) {
      cause ??= err
      return
    }
    if (Date.now() - last < 5000) return
    last = Date.now()
    log(`redis: ${err.message}; reconnecting`)
  })
  try {
    await redis.connect()
    await redis.ping()
    starting = false
    return redis
  } catch (err) {
    redis.disconnect()
    const reason = (cause as Error | null)?.message ?? (err instanceof Error ? err.message : String(err))
    throw new StartupError(`cannot reach Redis at ${redisWhere(url)}: ${reason}`)
  }
}
