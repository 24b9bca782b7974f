import { runCli } from './run-cli.ts'
import type { CliIo, Output } from './cli-io.ts'

// The CLI's entry point and the only CLI module touching `process`: arguments, environment, streams, signals,
// exit status. Everything else gets them passed in.

function output(stream: NodeJS.WriteStream): Output {
  return {
    write: (text) => void stream.write(text),
    isTTY: stream.isTTY === true,
    get columns() {
      return stream.columns || 80
    },
    get rows() {
      return stream.rows || 24
    },
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** Resolves once everything written to the stream has been handed to the OS. */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()))
}

async function main(): Promise<void> {
  const interrupt = new AbortController()
  let interrupts = 0
  const onSignal = () => {
    // A second Ctrl-C does not wait for the first one's clean-up.
    if (++interrupts > 1) process.exit(130)
    interrupt.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  // A reader that went away (`juxta ask … | head -1`) is not an error worth a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0)
      throw err
    })
  }
  const io: CliIo = {
    env: process.env,
    cwd: process.cwd(),
    stdout: output(process.stdout),
    stderr: output(process.stderr),
    readStdin,
    signal: interrupt.signal,
  }
  const code = await runCli(process.argv.slice(2), io)
  await Promise.all([drained(process.stdout), drained(process.stderr)])
  // Open keep-alive sockets to upstreams would otherwise hold the process for seconds after its answer.
  process.exit(code)
}

void main()
