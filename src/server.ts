import { serve } from '@hono/node-server'
import { buildRuntime, StartupError } from './runtime.ts'

// The only module with side effects: reads the environment, opens files (through buildRuntime), listens.
function main(): void {
  let runtime: ReturnType<typeof buildRuntime>
  try {
    runtime = buildRuntime(process.env)
  } catch (err) {
    if (err instanceof StartupError) {
      console.error(err.message)
      process.exit(1)
    }
    throw err
  }
  const { ctx, app, host, port, configPath } = runtime
  // The local servers are checked once at start, so the first page already knows which ones listen.
  void ctx.reachability.settle(ctx.catalog().providers, { maxWaitMs: 0 })
  const server = serve({ fetch: app.fetch, port, hostname: host.replace(/^\[(.*)\]$/, '$1') }, (info) => {
    const ready = ctx
      .catalog()
      .targets()
      .filter((t) => t.provider.keyStatus !== 'missing').length
    console.log(`Juxta listening on http://${host}:${info.port}  (config: ${configPath}, ${ready} targets ready)`)
  })
  const stop = () => {
    server.close()
    void runtime.close().finally(() => process.exit(0))
    setTimeout(() => process.exit(0), 2000).unref()
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

main()
