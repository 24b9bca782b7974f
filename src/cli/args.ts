import { type ParseArgsConfig, parseArgs } from 'node:util'
import { UsageError } from './cli-io.ts'

type Options = NonNullable<ParseArgsConfig['options']>

/**
 * Parses a command's arguments (strict: an unknown option or a missing value is a UsageError with one short line,
 * not node's paragraph). `--help` / `-h` are added to every command.
 */
export function parseCommandArgs<T extends Options>(command: string, args: string[], options: T) {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    })
  } catch (err) {
    const code = (err as { code?: string }).code
    const message = err instanceof Error ? err.message : String(err)
    const quoted = /'([^']+)'/.exec(message)?.[1]
    // node names a missing value's option as "-t, --target <value>": the long name alone reads better.
    const option = quoted?.match(/--[\w-]+/)?.[0] ?? quoted
    const hint = `see juxta ${command} --help`
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${option} (${hint})`)
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      if (/does not take an argument/.test(message)) throw new UsageError(`${option} takes no value (${hint})`)
      if (/ambiguous/.test(message)) {
        throw new UsageError(`${option} needs a value; write ${option}=VALUE for one starting with - (${hint})`)
      }
      throw new UsageError(`${option} needs a value (${hint})`)
    }
    throw new UsageError(`${message.split('\n')[0]} (${hint})`)
  }
}

/** A numeric option's value: undefined when absent, a UsageError when not a number in bounds. */
export function numberOption(
  name: string,
  raw: string | undefined,
  bounds: { min: number; max: number; integer?: boolean },
): number | undefined {
  if (raw === undefined) return undefined
  const value = raw.trim() === '' ? Number.NaN : Number(raw)
  const kind = bounds.integer ? 'a whole number' : 'a number'
  if (!Number.isFinite(value) || (bounds.integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name} must be ${kind}, got "${raw}"`)
  }
  if (value < bounds.min || value > bounds.max) {
    throw new UsageError(`--${name} must be ${kind} from ${bounds.min} to ${bounds.max}, got ${raw}`)
  }
  return value
}
