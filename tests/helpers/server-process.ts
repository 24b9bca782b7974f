import { spawn, type ChildProcess } from 'node:child_process'

export interface ServerProcess {
  child: ChildProcess
  url: string
}

/**
 * Starts the real server (`src/server.ts`) as its own process on a free loopback port, with this config and data
 * directory, and resolves once it says where it listens. The child is pushed to `children` so the test can kill
 * whatever is left at the end.
 */
export function startServerProcess(options: {
  configPath: string
  dataDir: string
  children: ChildProcess[]
  timeoutMs?: number
  /** More environment (DATABASE_URL, REDIS_URL, JUXTA_SECRET, JUXTA_INSTANCE_ID, …). */
  env?: Record<string, string>
}): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      JUXTA_CONFIG: options.configPath,
      JUXTA_DATA_DIR: options.dataDir,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  options.children.push(child)
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), options.timeoutMs ?? 15_000)
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /listening on (http:\/\/[^\s]+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve({ child, url: m[1]! })
      }
    })
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)))
  })
}

/** Ends a child process (SIGTERM unless told), then SIGKILL if it has not gone within 5 s; its exit code. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  child.kill(signal)
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  const code = await exited
  clearTimeout(timer)
  return code
}
