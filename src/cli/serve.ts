import { listen } from '../listen.ts'
import { parseCommandArgs } from './args.ts'
import { type CliIo, CliError, EXIT, UsageError } from './cli-io.ts'
import { SERVE_HELP } from './help.ts'
import { openRuntime } from './open-runtime.ts'

/** `juxta serve`: the web server, as `npm start` runs it, until Ctrl-C. */
export async function serveCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('serve', args, {
    port: { type: 'string' },
    host: { type: 'string' },
  })
  if (values.help) {
    io.stdout.write(SERVE_HELP)
    return EXIT.ok
  }
  if (positionals.length > 0) throw new UsageError(`serve takes no arguments, got "${positionals[0]}"`)
  const env = {
    ...io.env,
    ...(values.port !== undefined ? { PORT: values.port } : {}),
    ...(values.host !== undefined ? { HOST: values.host } : {}),
  }
  const runtime = await openRuntime({ ...io, env })
  let listening: Awaited<ReturnType<typeof listen>>
  try {
    listening = await listen(runtime, (line) => io.stdout.write(`${line}\n`))
  } catch (err) {
    await runtime.close()
    throw new CliError(`cannot listen on ${runtime.host}:${runtime.port}: ${err instanceof Error ? err.message : err}`)
  }
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve()
    else io.signal.addEventListener('abort', () => resolve(), { once: true })
  })
  await listening.close()
  return EXIT.ok
}
