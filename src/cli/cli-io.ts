/** Where a command writes: stdout or stderr, with what is known of the terminal behind it. */
export interface Output {
  write(text: string): void
  /** A terminal (not a pipe or a file): live redraws and styles are allowed. */
  isTTY: boolean
  /** Terminal size; 80 × 24 when unknown. */
  columns: number
  rows: number
}

/** Everything a command may use of the process, passed in (main.ts is the only module touching `process`). */
export interface CliIo {
  env: Readonly<Record<string, string | undefined>>
  cwd: string
  stdout: Output
  stderr: Output
  /** The whole of stdin, as text (for a prompt given as `-`). */
  readStdin(): Promise<string>
  /** Aborted on Ctrl-C (SIGINT) or SIGTERM. */
  signal: AbortSignal
}

export const EXIT = {
  ok: 0,
  /** A target or a cell failed, or Juxta could not start. */
  failed: 1,
  /** Bad usage: an unknown option, a missing argument, an unknown target. */
  usage: 2,
  /** Interrupted with Ctrl-C (128 + SIGINT). */
  interrupted: 130,
} as const

/** Bad usage: exit 2 with one line naming the problem. */
export class UsageError extends Error {}

/** A failure that is not a usage mistake (a file that cannot be read, ...): exit 1 with one line. */
export class CliError extends Error {}
