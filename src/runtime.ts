import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError, loadConfigFile } from './config/load.ts'
import { createContext } from './context.ts'
import { KeyStore, KeyStoreError } from './keys/key-store.ts'
import { readTeamEnv } from './team/team-env.ts'
import {
  servedRuntime,
  readBaseEnv,
  type Runtime,
  type RuntimeOptions,
  StartupError,
  startupStep,
} from './runtime-env.ts'
import { CustomProviderStore, ProviderFileError } from './settings/custom-providers.ts'
import { StorageError } from './storage/database.ts'
import { openSqliteRunStore, recoveredRunsLine, type SqliteRunStore } from './storage/sqlite-run-store.ts'
import { SqliteSessionStore } from './storage/sqlite-session-store.ts'
import { SqlitePresetStore } from './storage/sqlite-preset-store.ts'
import { SqliteArenaStore } from './storage/arena-store.ts'
import { SqliteStudyStore } from './storage/sqlite-study-store.ts'
import { type ProcessLease, takeProcessLease } from './storage/process-lease.ts'

// Callers compose Juxta from here; the parts both runtimes share live in runtime-env.ts.
export {
  type BaseEnv,
  readBaseEnv,
  type Runtime,
  type RuntimeOptions,
  StartupError,
  startupStep,
} from './runtime-env.ts'

/**
 * Builds Juxta from an environment (PORT, HOST, JUXTA_CONFIG, JUXTA_DATA_DIR, access settings): config, run
 * history, key and provider stores, context and app. The server, a CLI and tests compose Juxta through this one
 * function; it opens files but never listens and never reads `process.env` itself.
 */
export function buildRuntime(env: Readonly<Record<string, string | undefined>>, options: RuntimeOptions = {}): Runtime {
  const base = readBaseEnv(env, options)
  const { log, access, configPath, dataDir } = base
  const config = startupStep(() => loadConfigFile(configPath, env), ConfigError)
  mkdirSync(dataDir, { recursive: true })
  // Every process registers before it writes anything: a CLI beside a running server must not recover its runs.
  const lease = takeProcessLease(join(dataDir, 'processes'))
  let store: SqliteRunStore
  try {
    store = startupStep(() => openSqliteRunStore(join(dataDir, 'juxta.db'), { log, recover: false }), StorageError)
  } catch (err) {
    lease.release()
    throw err
  }
  try {
    // Keys live in their own 0600 file, never in the history database.
    const keys = startupStep(
      () => KeyStore.open(join(dataDir, 'keys.json'), { secret: access.secret, log }),
      KeyStoreError,
    )
    const customProviders = startupStep(
      () => CustomProviderStore.open(join(dataDir, 'providers.json'), log),
      ProviderFileError,
    )
    // Login sessions live beside the history, so a restart does not log everyone out.
    const sessionStore = new SqliteSessionStore(store.db)
    const studyStore = new SqliteStudyStore(store.db)
    recoverIfAlone({ store, studyStore, lease, log })
    const ctx = createContext(config, {
      store,
      presets: new SqlitePresetStore(store.db),
      arena: new SqliteArenaStore(store.db),
      keys,
      customProviders,
      sessionStore,
      studyStore,
      access: access.access,
      log,
    })
    return servedRuntime(ctx, base, async () => {
      await store.close().catch(() => {})
      lease.release()
    })
  } catch (err) {
    void store.close().catch(() => {})
    lease.release()
    throw err
  }
}

/**
 * Runs and studies left `running` by a process that died are marked interrupted (studies resumable), but only when
 * no other live process shares the data directory: otherwise they may be its own, still going. The check runs
 * under the database's write lock, so a process that registers after it cannot write a run before this commits.
 */
function recoverIfAlone(o: {
  store: SqliteRunStore
  studyStore: SqliteStudyStore
  lease: ProcessLease
  log: (line: string) => void
}): void {
  const { runs, studies } = o.store.inTransaction(() =>
    o.lease.liveOthers() > 0
      ? { runs: 0, studies: 0 }
      : { runs: o.store.recoverSync(), studies: o.studyStore.recoverSync() },
  )
  if (runs > 0) o.log(recoveredRunsLine(runs))
  if (studies > 0) o.log(`studies: marked ${studies} unfinished stud${studies === 1 ? 'y' : 'ies'} as interrupted`)
}

/**
 * Juxta from an environment, whichever database it names: DATABASE_URL selects PostgreSQL (and REDIS_URL the
 * shared live state of several instances, src/team/), otherwise the SQLite file in the data directory. The team
 * modules (pg, ioredis, BullMQ) are loaded only when asked for, so a laptop start does not pay for them.
 */
export async function openRuntime(
  env: Readonly<Record<string, string | undefined>>,
  options: RuntimeOptions = {},
): Promise<Runtime> {
  const team = readTeamEnv(env)
  if (!team.ok) throw new StartupError(team.message)
  if (!team.settings.databaseUrl) return buildRuntime(env, options)
  const { buildTeamRuntime } = await import('./team/team-runtime.ts')
  return buildTeamRuntime(env, { ...options, team: team.settings })
}
