import { existsSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { serve } from '@hono/node-server'
import { ConfigError, loadConfigFile } from './config/load.ts'
import { createContext } from './context.ts'
import { createApp } from './app.ts'
import { projectRoot } from './project-root.ts'
import { StorageError } from './storage/database.ts'
import { openSqliteRunStore, type SqliteRunStore } from './storage/sqlite-run-store.ts'
import { readAccessEnv } from './security/access-env.ts'
import { KeyStore, KeyStoreError } from './keys/key-store.ts'
import { CustomProviderStore, ProviderFileError } from './settings/custom-providers.ts'

// The only module with side effects: reads the environment, opens files, listens.
function main(): void {
  const env = process.env
  const port = Number(env.PORT ?? 8787)
  const access = readAccessEnv(env)
  if (!access.ok) fail(access.message)
  const host = access.settings.host
  const configPath = env.JUXTA_CONFIG ?? (existsSync('juxta.yaml') ? 'juxta.yaml' : resolve(projectRoot(), 'config', 'default.yaml'))
  const dataDir = resolve(env.JUXTA_DATA_DIR ?? 'data')

  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`PORT must be a port number, got "${env.PORT}"`)

  let config
  try {
    config = loadConfigFile(configPath, env)
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message)
    throw err
  }
  mkdirSync(dataDir, { recursive: true })
  let store: SqliteRunStore
  try {
    store = openSqliteRunStore(join(dataDir, 'juxta.db'), { log: (line) => console.log(line) })
  } catch (err) {
    if (err instanceof StorageError) fail(err.message)
    throw err
  }

  let keys: KeyStore
  let customProviders: CustomProviderStore
  try {
    // Keys live in their own 0600 file, never in the history database.
    keys = KeyStore.open(join(dataDir, 'keys.json'), { secret: access.settings.secret, log: (line) => console.log(line) })
    customProviders = CustomProviderStore.open(join(dataDir, 'providers.json'), (line) => console.log(line))
  } catch (err) {
    if (err instanceof KeyStoreError || err instanceof ProviderFileError) fail(err.message)
    throw err
  }

  const ctx = createContext(config, { store, keys, customProviders, access: access.settings.access })
  const app = createApp(ctx)
  // The local servers are checked once at start, so the first page already knows which ones listen.
  void ctx.reachability.settle(ctx.catalog().providers, { maxWaitMs: 0 })
  const server = serve({ fetch: app.fetch, port, hostname: host.replace(/^\[(.*)\]$/, '$1') }, (info) => {
    const ready = ctx.catalog().targets().filter((t) => t.provider.keyStatus !== 'missing').length
    console.log(`Juxta listening on http://${host}:${info.port}  (config: ${configPath}, ${ready} targets ready)`)
  })
  const stop = () => {
    server.close()
    // Runs still streaming stay "running" and become "interrupted" at the next start; what they received
    // so far is written now rather than lost with the last half second of buffering.
    void Promise.resolve(ctx.recorder.flush?.())
      .catch(() => {})
      .finally(() => store.close().catch(() => {}))
      .finally(() => process.exit(0))
    setTimeout(() => process.exit(0), 2000).unref()
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

function fail(message: string): never {
  console.error(message)
  process.exit(1)
}

main()
