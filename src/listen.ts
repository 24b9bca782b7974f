import { serve } from '@hono/node-server'
import type { Runtime } from './runtime.ts'

export interface Listening {
  /** The port bound (the one asked for, or the free one picked for 0). */
  port: number
  /** Stops accepting connections, writes what is buffered and closes the database. */
  close(): Promise<void>
}

/**
 * Serves a built runtime on its host and port, and says so in one line: what `src/server.ts` and `juxta serve`
 * both do. Signals and exit codes stay with the caller.
 */
export function listen(
  runtime: Runtime,
  log: (line: string) => void = (line) => console.log(line),
): Promise<Listening> {
  const { ctx, app, host, port, configPath } = runtime
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname: host.replace(/^\[(.*)\]$/, '$1') }, (info) => {
      const ready = ctx
        .catalog()
        .targets()
        .filter((t) => t.provider.keyStatus !== 'missing').length
      log(`Juxta listening on http://${host}:${info.port}  (config: ${configPath}, ${ready} targets ready)`)
      // The local servers are checked once at start, so the first page already knows which ones listen. After
      // listening, not before: the first check loads the HTTP client (~100 ms of a cold start, `npm run bench`).
      void ctx.reachability.settle(ctx.catalog().providers, { maxWaitMs: 0 })
      server.off('error', reject)
      resolve({
        port: info.port,
        close: () => {
          // Not waiting for open streams to end: runs still streaming are kept as they are and become
          // "interrupted" at the next start.
          server.close()
          return runtime.close()
        },
      })
    })
    // A port in use or an address not on this machine: the caller says so in its own words.
    server.once('error', reject)
  })
}
