import { existsSync, mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { serve } from '@hono/node-server'
import { ConfigError, loadConfigFile } from './config/load.ts'
import { createContext } from './context.ts'
import { createApp } from './app.ts'
import { projectRoot } from './project-root.ts'

// The only module with side effects: reads the environment, opens files, listens.
function main(): void {
  const env = process.env
  const port = Number(env.PORT ?? 8787)
  const host = env.HOST ?? '127.0.0.1'
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

  const ctx = createContext(config)
  const app = createApp(ctx)
  const server = serve({ fetch: app.fetch, port, hostname: host }, (info) => {
    const ready = ctx.catalog().targets().filter((t) => t.provider.keyStatus !== 'missing').length
    console.log(`Juxta listening on http://${host}:${info.port}  (config: ${configPath}, ${ready} targets ready)`)
  })
  const stop = () => {
    server.close()
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
