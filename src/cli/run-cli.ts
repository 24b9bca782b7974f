import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { projectRoot } from '../project-root.ts'
import { redactSecrets } from '../providers/redact.ts'
import { type CliIo, CliError, EXIT, UsageError } from './cli-io.ts'
import { MAIN_HELP } from './help.ts'
import { stripControls } from './terminal-text.ts'

type Command = (args: string[], io: CliIo) => Promise<number>

// Loaded when run: `juxta --help` need not load the whole app.
const COMMANDS: Record<string, () => Promise<Command>> = {
  ask: async () => (await import('./ask.ts')).askCommand,
  targets: async () => (await import('./targets.ts')).targetsCommand,
  serve: async () => (await import('./serve.ts')).serveCommand,
  study: async () => (await import('./study.ts')).studyCommand,
  migrate: async () => (await import('./migrate.ts')).migrateCommand,
}

function version(): string {
  const pkg = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }
  return pkg.version
}

/** One message on stderr, each line after the first indented under `juxta: `. */
function fail(io: CliIo, message: string, code: number): number {
  const text = stripControls(message).trimEnd()
  io.stderr.write(`juxta: ${text.split('\n').join('\n       ')}\n`)
  return code
}

/**
 * Runs `juxta <command> [args]` and returns the exit status. Every error ends as one clear message on stderr,
 * never a stack trace: bad usage exits 2, anything else 1.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv
  try {
    if (name === undefined) {
      io.stderr.write(MAIN_HELP)
      return EXIT.usage
    }
    if (name === '--help' || name === '-h' || name === 'help') {
      const topic = name === 'help' ? args[0] : undefined
      const help = topic === undefined ? undefined : COMMANDS[topic]
      if (help) return await (await help())(['--help'], io)
      io.stdout.write(MAIN_HELP)
      return EXIT.ok
    }
    if (name === '--version' || name === '-v') {
      io.stdout.write(`juxta ${version()}\n`)
      return EXIT.ok
    }
    const command = COMMANDS[name]
    if (!command) {
      throw new UsageError(
        `unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(', ')}; see juxta --help)`,
      )
    }
    return await (await command())(args, io)
  } catch (err) {
    if (err instanceof UsageError) return fail(io, err.message, EXIT.usage)
    if (err instanceof CliError) return fail(io, err.message, EXIT.failed)
    // A bug: still one line, and no key in it.
    const message = err instanceof Error ? err.message : String(err)
    return fail(io, `unexpected error: ${redactSecrets(message)}`, EXIT.failed)
  }
}
