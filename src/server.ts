import { listen } from './listen.ts'
import { openRuntime, type Runtime, StartupError } from './runtime.ts'

// The only module with side effects: reads the environment, opens files (through buildRuntime), listens.
async function main(): Promise<void> {
  let runtime: Runtime
  try {
    runtime = await openRuntime(process.env)
  } catch (err) {
    if (err instanceof StartupError) {
      console.error(err.message)
      process.exit(1)
    }
    throw err
  }
  let listening: Awaited<ReturnType<typeof listen>>
  try {
    listening = await listen(runtime)
  } catch (err) {
    console.error(`Cannot listen on ${runtime.host}:${runtime.port}: ${err instanceof Error ? err.message : err}`)
    await runtime.close()
    process.exit(1)
  }
  const stop = () => {
    void listening.close().finally(() => process.exit(0))
    // Longer than the grace a team runtime gives writes kept while its database is away (5 s), so they can land.
    setTimeout(() => process.exit(0), 8000).unref()
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

void main()
