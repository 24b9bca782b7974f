import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { takeProcessLease } from '../../src/storage/process-lease.ts'

const root = mkdtempSync(join(tmpdir(), 'juxta-lease-'))
const children: ChildProcess[] = []
let n = 0
const freshDir = () => join(root, `d${n++}`)

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL')
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** The pid of a process that has exited and been reaped: `kill(pid, 0)` fails with ESRCH. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await new Promise((r) => child.once('exit', r))
  return child.pid!
}

function livePid(): number {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' })
  children.push(child)
  return child.pid!
}

function plant(dir: string, pid: number): string {
  mkdirSync(dir, { recursive: true })
  const name = `${pid}-00000000-0000-4000-8000-000000000000.json`
  writeFileSync(join(dir, name), JSON.stringify({ pid, started_at: '2026-01-01T00:00:00.000Z' }))
  return name
}

describe('process lease', () => {
  it('writes one entry with pid and start time, counts the other live holders, and removes itself on release', () => {
    const dir = freshDir()
    const a = takeProcessLease(dir, { now: () => new Date('2026-12-01T19:00:00.000Z') })
    expect(a.liveOthers()).toBe(0)
    const [entry] = readdirSync(dir)
    expect(entry).toMatch(new RegExp(`^${process.pid}-[0-9a-f-]+\\.json$`))
    expect(JSON.parse(readFileSync(join(dir, entry!), 'utf8'))).toEqual({
      pid: process.pid,
      started_at: '2026-12-01T19:00:00.000Z',
    })

    // A second runtime in the same process (tests build several) is a live holder, not a stale one.
    const b = takeProcessLease(dir)
    expect(a.liveOthers()).toBe(1)
    expect(b.liveOthers()).toBe(1)
    b.release()
    b.release()
    expect(a.liveOthers()).toBe(0)
    a.release()
    expect(readdirSync(dir)).toEqual([])
  })

  it('counts another live process and removes the entry of a dead one', async () => {
    const dir = freshDir()
    const live = plant(dir, livePid())
    const dead = plant(dir, await deadPid())
    const lease = takeProcessLease(dir)
    expect(lease.liveOthers()).toBe(1)
    expect(existsSync(join(dir, live))).toBe(true)
    expect(existsSync(join(dir, dead))).toBe(false)
    lease.release()
  })

  it('treats an entry with its own pid that it does not hold as stale (a restarted container reuses pid 1)', () => {
    const dir = freshDir()
    const old = plant(dir, process.pid)
    const lease = takeProcessLease(dir)
    expect(lease.liveOthers()).toBe(0)
    expect(existsSync(join(dir, old))).toBe(false)
    lease.release()
  })

  it('counts a half-written entry of a live process and ignores files that are not entries', () => {
    const dir = freshDir()
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, `${livePid()}-abc.json.tmp`), '')
    writeFileSync(join(dir, 'README'), 'not an entry')
    const lease = takeProcessLease(dir)
    expect(lease.liveOthers()).toBe(1)
    expect(existsSync(join(dir, 'README'))).toBe(true)
    lease.release()
  })
})
