import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { projectRoot } from '../../src/project-root.ts'

/** The `juxta` command as package.json declares it. */
export const JUXTA_BIN = join(projectRoot(), 'bin', 'juxta.mjs')

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface CliOptions {
  env?: Record<string, string>
  cwd?: string
  /** Written to stdin, then closed; stdin is closed at once without it. */
  input?: string
  /** The file to run; default the bin launcher (a symlink to it works the same). */
  bin?: string
  /** Execute `bin` itself (its `#!/usr/bin/env node` line), as a shell does, instead of `node bin`. */
  direct?: boolean
}

/** A running `juxta`, with its output so far. */
export interface CliProcess {
  child: ChildProcess
  stdout(): string
  stderr(): string
  exited: Promise<CliResult>
}

/**
 * Starts `juxta ARGS` as a child process, through the bin launcher (as a shell would run it), with only the given
 * environment, PATH and HOME: no key of the machine's own environment reaches it.
 */
export function spawnJuxta(args: string[], options: CliOptions = {}): CliProcess {
  const bin = options.bin ?? JUXTA_BIN
  const [command, argv] = options.direct ? [bin, args] : [process.execPath, [bin, ...args]]
  const child = spawn(command, argv, {
    cwd: options.cwd ?? projectRoot(),
    env: {
      PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
      HOME: options.cwd ?? tmpdir(),
      ...options.env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d))
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d))
  child.stdin!.end(options.input ?? '')
  const exited = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err })),
  )
  return { child, stdout: () => out, stderr: () => err, exited }
}

/** Runs `juxta ARGS` to its end. */
export function runJuxta(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return spawnJuxta(args, options).exited
}

/** Waits until `check` holds, polling every 20 ms; fails after `timeoutMs` with `what`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

export interface CliSandbox {
  dir: string
  configPath: string
  dataDir: string
  /** JUXTA_CONFIG and JUXTA_DATA_DIR pointing at the sandbox. */
  env: Record<string, string>
  remove(): void
}

/** A temporary directory with a config file (JSON is YAML) and a data directory for the CLI and the server. */
export function cliSandbox(config: Record<string, unknown> | string): CliSandbox {
  const dir = mkdtempSync(join(tmpdir(), 'juxta-cli-'))
  const configPath = join(dir, 'juxta.yaml')
  writeFileSync(configPath, typeof config === 'string' ? config : JSON.stringify(config, null, 2))
  const dataDir = join(dir, 'data')
  return {
    dir,
    configPath,
    dataDir,
    env: { JUXTA_CONFIG: configPath, JUXTA_DATA_DIR: dataDir },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}

/**
 * Builds dist/ through the launcher if the sources changed since the last build (once per test file, in a hook
 * with room for it), so no test's own time includes a build.
 */
export async function ensureBuilt(): Promise<void> {
  const result = await runJuxta(['--version'])
  if (result.code !== 0) throw new Error(`juxta --version failed: ${result.stderr}`)
}
