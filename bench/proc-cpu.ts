import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

// CPU time of other processes from /proc (Linux), for phases that run servers besides Juxta (PostgreSQL, Redis).

const CLK_TCK = 100

interface ProcStat {
  pid: number
  ppid: number
  comm: string
  /** utime + stime, and the same of reaped children (cutime + cstime), in ms. */
  ownMs: number
  childrenMs: number
}

function readStat(pid: number): ProcStat | null {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return null // gone in between
  }
  const close = text.lastIndexOf(')')
  const comm = text.slice(text.indexOf('(') + 1, close)
  // After "pid (comm) ": state is field 0, ppid 1, utime 11, stime 12, cutime 13, cstime 14 (stat(5) minus 3).
  const f = text.slice(close + 2).split(' ')
  const ticks = (i: number) => Number(f[i] ?? 0)
  return {
    pid,
    ppid: ticks(1),
    comm,
    ownMs: ((ticks(11) + ticks(12)) / CLK_TCK) * 1000,
    childrenMs: ((ticks(13) + ticks(14)) / CLK_TCK) * 1000,
  }
}

function pids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
}

function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
  } catch {
    return []
  }
}

/** The first process whose command line (argv, split) satisfies `test`, or null. */
export function findProcess(test: (argv: string[]) => boolean): number | null {
  for (const pid of pids()) if (test(cmdline(pid))) return pid
  return null
}

/**
 * CPU of a process and its children so far, in ms: the root's own and reaped children's time plus every live
 * child's (PostgreSQL forks one backend per connection; a backend that exits moves its time into the root's
 * reaped-children count, so the sum never goes backwards).
 */
export function treeCpuMs(root: number): number {
  const r = readStat(root)
  if (!r) return Number.NaN
  let total = r.ownMs + r.childrenMs
  for (const pid of pids()) {
    if (pid === root) continue
    const s = readStat(pid)
    if (s && s.ppid === root) total += s.ownMs + s.childrenMs
  }
  return total
}

/** Busy time of the whole machine (all cores) so far, in ms, from /proc/stat. */
export function machineBusyMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f
  return (user + nice + system + irq + softirq + steal) * 10
}

/** The CPU list a thread (by default this process's main thread) may run on, e.g. "0" or "0,1"; null if unknown. */
export function affinity(pid: number = process.pid): string | null {
  const r = spawnSync('taskset', ['-pc', String(pid)], { encoding: 'utf8' })
  if (r.status !== 0) return null
  return /list:\s*(\S+)/.exec(r.stdout)?.[1] ?? null
}

/** Sets a thread's CPU list (taskset syntax); what it spawns from then on inherits it. */
export function setAffinity(list: string, pid: number = process.pid): boolean {
  return spawnSync('taskset', ['-pc', list, String(pid)], { encoding: 'utf8' }).status === 0
}
