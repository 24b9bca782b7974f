import { randomUUID } from 'node:crypto'
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Entry names this process holds. An entry with our pid that is not among them was left by an earlier process
 * that had the same pid (a container restarted: the server is pid 1 both times), so it is stale.
 */
const heldHere = new Set<string>()

const ENTRY = /^(\d+)-[0-9a-f-]+\.json(?:\.tmp)?$/

/** One Juxta process's registration in a data directory, so others know it is there. */
export interface ProcessLease {
  /** How many other live processes hold a lease on this directory; entries of dead ones are removed. */
  liveOthers(): number
  /** Removes this process's entry. Safe to call more than once. */
  release(): void
}

export interface ProcessLeaseOptions {
  pid?: number
  now?: () => Date
  /** Default: `process.kill(pid, 0)` succeeds or fails with EPERM (alive, another user's). */
  isAlive?: (pid: number) => boolean
}

/**
 * Registers this process in `dir` (one file per process, `<pid>-<uuid>.json` with pid and start time, written
 * to a temporary name and renamed, so it appears whole). Every process registers, not only the first: a lone
 * holder would let a CLI that started after a server and exits before it leave the server unregistered.
 */
export function takeProcessLease(dir: string, options: ProcessLeaseOptions = {}): ProcessLease {
  const pid = options.pid ?? process.pid
  const isAlive = options.isAlive ?? pidIsAlive
  mkdirSync(dir, { recursive: true })
  const name = `${pid}-${randomUUID()}.json`
  const path = join(dir, name)
  writeFileSync(`${path}.tmp`, JSON.stringify({ pid, started_at: (options.now?.() ?? new Date()).toISOString() }))
  renameSync(`${path}.tmp`, path)
  heldHere.add(name)
  let released = false
  return {
    liveOthers: () => {
      let live = 0
      for (const entry of readdirSync(dir)) {
        const m = ENTRY.exec(entry)
        if (!m || entry === name) continue
        const owner = Number(m[1])
        const alive = owner === pid ? heldHere.has(entry) : isAlive(owner)
        if (alive) live++
        else rmSync(join(dir, entry), { force: true })
      }
      return live
    },
    release: () => {
      if (released) return
      released = true
      heldHere.delete(name)
      rmSync(path, { force: true })
    },
  }
}

function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
