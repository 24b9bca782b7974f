import type { LoadedConfig } from './config/load.ts'
import type { RunSettings } from './config/schema.ts'
import { Catalog, type StoredKeyLookup } from './providers/catalog.ts'
import { OpenAICompatibleAdapter } from './providers/openai-compatible.ts'
import { DemoSimulator } from './demo/simulator.ts'
import { SimulationSchema } from './config/schema.ts'
import { noRecorder, type RunRecorder } from './engine/run-service.ts'
import { RunSlots } from './engine/run-slots.ts'
import type { Pricer } from './pricing/types.ts'
import { PriceBook } from './pricing/price-book.ts'
import { demoRoutes } from './routes/demo.ts'
import type { RunStore } from './storage/types.ts'
import type { PresetStore } from './storage/preset-store.ts'
import type { ArenaStore } from './arena/types.ts'
import { StoreRecorder } from './storage/recorder.ts'
import { isStoreUnavailable } from './storage/unavailable.ts'
import type { Hono } from 'hono'
import { KeyStore } from './keys/key-store.ts'
import { CustomProviderStore, mergeProviders } from './settings/custom-providers.ts'
import { createUpstreamHttp } from './security/guarded-fetch.ts'
import type { AccessOptions } from './security/access-env.ts'
import { Auth } from './security/auth.ts'
import { MemorySessionStore, type SessionStore } from './security/session-store.ts'
import type { LoginThrottle } from './security/login-throttle.ts'
import { LocalSettingsBus, type SettingsBus, type SettingsTopic } from './settings/settings-bus.ts'
import { ReachabilityMonitor } from './providers/reachability.ts'
import type { StudyStore } from './storage/study-store.ts'
import type { StudyService } from './studies/types.ts'
import type { StudyLimits } from './studies/input.ts'
import { DefaultStudyService, type StudyServiceDeps } from './studies/study-service.ts'
import { checkExpected, parseExpected } from './studies/expected.ts'
import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { LiveRuns } from './live/live-runs.ts'

/** The demo provider is reached through the SDK like any other, on an origin that never leaves the process. */
export const DEMO_ORIGIN = 'http://demo.juxta.internal'
export const DEMO_BASE_URL = `${DEMO_ORIGIN}/demo/v1`

export interface AppContext {
  config: LoadedConfig
  settings: RunSettings
  catalog: () => Catalog
  adapter: OpenAICompatibleAdapter
  pricer: Pricer
  recorder: RunRecorder
  /** Runs in flight, capped by `run.max_concurrent_runs`. */
  runSlots: RunSlots
  /** Run history; null when the app runs without a database. */
  store: RunStore | null
  /** Named compare-form presets; null when the app runs without a database. */
  presets: PresetStore | null
  /** Blind runs' letters and votes; null when the app runs without a database. */
  arena: ArenaStore | null
  demo: Hono
  /** Everything the app logs goes through here (already redacted by callers). */
  log: (line: string) => void
  /** API keys entered in the settings page. */
  keys: KeyStore
  /** Providers added in the settings page. */
  customProviders: CustomProviderStore
  /** Rebuilds the catalog from config, custom providers and stored keys; takes effect for the next request. */
  reconfigure: () => void
  /** Where a settings change is announced to the other instances (a no-op when alone). */
  settingsBus: SettingsBus
  /** fetch for upstream calls made outside the adapter (provider test, discovery): same routing and guard. */
  upstreamFetch: typeof fetch
  /** Whether the local servers (Ollama, llama.cpp, …) listen; cached, checked in the background. */
  reachability: ReachabilityMonitor
  /** Auth token and allowed Host names. */
  access: AccessOptions
  /** Login sessions and the token-guessing throttle (inactive without a token). */
  auth: Auth
  /** Every API key Juxta knows (config, env, stored for any origin): what redaction removes. */
  secrets: () => Array<string | undefined>
  /** Studies (prompt set × targets × repeats); null when the app runs without a database. */
  studies: StudyService | null
  /** What a study body is checked against (targets, limits, `expected` syntax). */
  studyLimits: StudyLimits
  /** Live runs: every run's event log (watchers attach to it) and the commands to a run's owner instance. */
  live: LiveRuns
}

export interface ContextOptions {
  fetch?: typeof fetch
  pricer?: Pricer
  recorder?: RunRecorder
  /** Run history. Runs are recorded into it unless `recorder` is given. */
  store?: RunStore
  /** Compare-form presets (kept beside the history). */
  presets?: PresetStore
  /** Blind runs and votes (kept beside the history). */
  arena?: ArenaStore
  storedKeys?: StoredKeyLookup
  log?: (line: string) => void
  /** Default: an in-memory store (keys are lost on restart). */
  keys?: KeyStore
  /** Default: an in-memory store. */
  customProviders?: CustomProviderStore
  /** Default: no token, only localhost and IP literals in Host. */
  access?: AccessOptions
  /** Login sessions. Default: in memory (a restart logs everyone out). */
  sessionStore?: SessionStore
  /** The token-guessing throttle. Default: in memory (per instance); RedisLoginThrottle shares it. */
  loginThrottle?: LoginThrottle
  /**
   * Settings changes to and from other instances (RedisSettingsBus). Default: none. A change another instance
   * announces reloads the keys and/or custom providers and rebuilds the catalog.
   */
  settingsBus?: SettingsBus
  /** Wall clock for login sessions and the login throttle (tests move it). Default: Date.now. */
  now?: () => number
  /** Default: probes through the upstream fetch with the real clock. */
  reachability?: ReachabilityMonitor
  /** Where studies are kept (beside the history); without it there are no studies. */
  studyStore?: StudyStore
  /** Team mode: study cells shared by every instance through a Redis job queue (see src/studies/study-team.ts). */
  studyTeam?: StudyServiceDeps['team']
  /**
   * Live runs shared across instances through Redis (event logs, commands). Default: in this process only, with
   * a random instance id and the `juxta:` prefix.
   */
  live?: { redis?: Redis; prefix?: string; instanceId?: string }
}

export function createContext(config: LoadedConfig, options: ContextOptions = {}): AppContext {
  const log = options.log ?? ((line: string) => console.log(line))
  const keys = options.keys ?? KeyStore.inMemory()
  const customProviders = options.customProviders ?? CustomProviderStore.inMemory()
  const buildCatalog = () => {
    const merged = mergeProviders(config.config, customProviders)
    return {
      shadowed: merged.shadowed,
      catalog: new Catalog(merged.config, {
        demoBaseURL: DEMO_BASE_URL,
        keySources: config.keySources,
        storedKeys: options.storedKeys ?? keys,
      }),
    }
  }
  const first = buildCatalog()
  let catalog = first.catalog
  if (first.shadowed.length > 0)
    log(
      `providers: the config file defines ${first.shadowed.join(', ')}; ` +
        'the settings-page entries with the same id are ignored',
    )
  const demoProfile = (model: string) => {
    for (const p of catalog.providers) {
      if (p.builtin !== 'demo') continue
      const m = p.models.find((x) => x.id === model)
      if (m) return m.simulate ?? SimulationSchema.parse({})
    }
    return undefined
  }
  const demoModels = () =>
    catalog.providers.filter((p) => p.builtin === 'demo').flatMap((p) => p.models.map((m) => m.id))
  const demo = demoRoutes(new DemoSimulator(demoProfile), demoModels)
  // Every upstream request goes through the address guard unless a test injects its own fetch.
  const http = options.fetch ? null : createUpstreamHttp()
  const routed =
    (realFetch: typeof fetch): typeof fetch =>
    (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
      if (url.startsWith(`${DEMO_ORIGIN}/`)) {
        const path = new URL(url).pathname.replace(/^\/demo/, '')
        return Promise.resolve(demo.fetch(new Request(`${DEMO_ORIGIN}${path}`, init)))
      }
      return realFetch(input, init)
    }
  const routedFetch = routed(options.fetch ?? http!.fetch)
  // The relay's own requests: the same guard and connection pool, bodies read as Node streams.
  const streamingFetch = routed(options.fetch ?? http!.streamingFetch)
  const settings = config.config.run
  const secrets = () => [...catalog.providers.map((p) => p.apiKey), ...keys.secrets()]
  const storeRecorder = (store: RunStore) =>
    new StoreRecorder(store, {
      log,
      labelOf: (target) => catalog.find(target)?.model.label,
      secrets,
      // A server database that is away for a moment (a restart, a failover): writes wait for it, none is lost.
      retryable: isStoreUnavailable,
    })
  const settingsBus = options.settingsBus ?? new LocalSettingsBus()
  const live = new LiveRuns(
    {
      redis: options.live?.redis,
      prefix: options.live?.prefix ?? 'juxta:',
      instanceId: options.live?.instanceId ?? randomUUID(),
      log,
    },
    {},
    (target) => catalog.find(target)?.model.label ?? target,
  )
  const baseRecorder = options.recorder ?? (options.store ? storeRecorder(options.store) : noRecorder)
  const ctx: AppContext = {
    config,
    settings,
    catalog: () => catalog,
    adapter: new OpenAICompatibleAdapter({ connectTimeoutMs: settings.connect_timeout_ms, fetch: streamingFetch }),
    pricer: options.pricer ?? new PriceBook(),
    recorder: live.recorder(baseRecorder),
    runSlots: new RunSlots(settings.max_concurrent_runs, () => ctx.recorder.holdNewRuns?.() ?? null),
    store: options.store ?? null,
    presets: options.presets ?? null,
    arena: options.arena ?? null,
    demo,
    log,
    keys,
    customProviders,
    reconfigure: () => {
      catalog = buildCatalog().catalog
    },
    settingsBus,
    upstreamFetch: routedFetch,
    reachability: options.reachability ?? new ReachabilityMonitor({ fetch: routedFetch }),
    access: options.access ?? { allowedHosts: [] },
    auth: new Auth({
      token: options.access?.authToken,
      trustProxy: options.access?.trustProxy,
      sessionStore: options.sessionStore ?? new MemorySessionStore(),
      throttle: options.loginThrottle,
      now: options.now ?? Date.now,
      log,
    }),
    secrets,
    studies: null,
    studyLimits: {
      catalog: () => catalog,
      settings,
      expectedSyntax: (expected) => {
        const parsed = parseExpected(expected)
        return parsed.ok ? null : parsed.message
      },
    },
    live,
  }
  settingsBus.subscribe(async (topic: SettingsTopic) => {
    if (topic !== 'providers') await keys.reload()
    if (topic !== 'keys') await customProviders.reload()
    ctx.reconfigure()
  })
  if (options.studyStore) {
    ctx.studies = new DefaultStudyService({
      engine: ctx,
      store: options.studyStore,
      passes: (expected, answer) => {
        const parsed = parseExpected(expected)
        return parsed.ok && checkExpected(parsed.check, answer).pass
      },
      log,
      team: options.studyTeam,
    })
  }
  return ctx
}
