import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join, resolve } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  missingRequirements,
  setupPlan,
  systemRequirements,
  type Probe,
  type Requirement,
} from '../../scripts/system-requirements.mjs'

const SCRIPT = resolve(import.meta.dirname, '../../scripts/ensure-system.mjs')
const reqs = systemRequirements({})
const byPkg = (pkg: string) => reqs.find((r) => r.pkg === pkg)!
const absent =
  (...gone: string[]) =>
  (probe: Probe) =>
    !gone.some((pkg) => JSON.stringify(byPkg(pkg).probe) === JSON.stringify(probe))

describe('which system packages are missing', () => {
  it('lists chromium, python3, PostgreSQL and Redis, each with what needs it', () => {
    expect(reqs.map((r) => r.pkg)).toEqual(['chromium', 'python3', 'postgresql', 'redis-server'])
    expect(byPkg('chromium').probe).toEqual({ file: '/usr/bin/chromium' })
    expect(byPkg('python3').probe).toEqual({ commands: ['python3', 'python'] })
  })

  it('finds PostgreSQL in any version folder, as Debian installs it', () => {
    expect(byPkg('postgresql').probe).toEqual({ under: '/usr/lib/postgresql', file: 'bin/postgres' })
    expect(byPkg('redis-server').probe).toEqual({ file: '/usr/bin/redis-server' })
  })

  it('probes the Chromium the browser tests will launch when CHROMIUM_PATH names one', () => {
    const chromium = systemRequirements({ CHROMIUM_PATH: '/opt/chrome/chrome' }).find((r) => r.pkg === 'chromium')!
    expect(chromium.probe).toEqual({ file: '/opt/chrome/chrome' })
  })

  it('reports only what the probe does not find', () => {
    expect(missingRequirements(reqs, () => true)).toEqual([])
    expect(missingRequirements(reqs, absent('chromium')).map((r) => r.pkg)).toEqual(['chromium'])
    expect(missingRequirements(reqs, () => false).map((r) => r.pkg)).toEqual([
      'chromium',
      'python3',
      'postgresql',
      'redis-server',
    ])
  })
})

describe('what the setup does about them', () => {
  it('does nothing, and calls no apt-get, when everything is present', () => {
    expect(setupPlan({ missing: [], isRoot: true, hasAptGet: true })).toEqual({ kind: 'ready' })
    expect(setupPlan({ missing: [], isRoot: false, hasAptGet: false })).toEqual({ kind: 'ready' })
  })

  it('installs what is missing, non-interactively, as root with apt-get', () => {
    const plan = setupPlan({ missing: missingRequirements(reqs, absent('chromium')), isRoot: true, hasAptGet: true })
    expect(plan).toEqual({
      kind: 'install',
      pkgs: ['chromium'],
      commands: [
        ['apt-get', 'update', '-qq'],
        ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'chromium'],
      ],
    })
  })

  it('installs several packages in one apt-get call, each once', () => {
    const extra: Requirement = { pkg: 'chromium', neededBy: 'another test', probe: { file: '/x' } }
    const plan = setupPlan({ missing: [...reqs, extra], isRoot: true, hasAptGet: true })
    expect(plan.kind === 'install' && plan.commands[1]).toEqual([
      'apt-get',
      'install',
      '-y',
      '-qq',
      '--no-install-recommends',
      'chromium',
      'python3',
      'postgresql',
      'redis-server',
    ])
  })

  it('stops with the exact sudo command when not root', () => {
    const plan = setupPlan({ missing: reqs, isRoot: false, hasAptGet: true })
    expect(plan.kind).toBe('stop')
    const message = plan.kind === 'stop' ? plan.message : ''
    expect(message).not.toContain('\n')
    expect(message).toContain('chromium (browser tests)')
    expect(message).toContain("python3 (htmx's upgrade-check)")
    expect(message).toContain(
      'run: sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium python3',
    )
  })

  it('stops and names the Debian command when there is no apt-get', () => {
    const plan = setupPlan({ missing: missingRequirements(reqs, absent('python3')), isRoot: true, hasAptGet: false })
    expect(plan).toEqual({
      kind: 'stop',
      pkgs: ['python3'],
      message:
        "npm test needs python3 (htmx's upgrade-check); install them with your package manager " +
        '(on Debian: apt-get update && apt-get install -y --no-install-recommends python3)',
    })
  })
})

describe('scripts/ensure-system.mjs for real', () => {
  let dir = ''
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
    dir = ''
  })

  /** Runs the script with a recording `apt-get` first on PATH; a fake install creates `installs` executable. */
  function runWithFakeApt(env: Record<string, string>, installs?: string) {
    dir = mkdtempSync(join(tmpdir(), 'juxta-ensure-system-'))
    const log = join(dir, 'apt-get.log')
    const apt = join(dir, 'apt-get')
    const create = installs
      ? `[ "$1" = install ] && { printf '#!/bin/sh\\n' > '${installs}'; chmod +x '${installs}'; }`
      : ''
    writeFileSync(apt, `#!/bin/sh\necho "$@" >> '${log}'\n${create}\nexit 0\n`)
    chmodSync(apt, 0o755)
    const run = spawnSync(process.execPath, [SCRIPT], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env, PATH: `${dir}${delimiter}${process.env.PATH ?? ''}` },
    })
    return { run, aptCalls: existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [] }
  }

  it('passes without calling apt-get on this machine, where everything is installed', () => {
    const { run, aptCalls } = runWithFakeApt({})
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    expect(aptCalls).toEqual([])
  })

  it('installs a missing Chromium as root, or stops at once with the command otherwise', () => {
    const target = join(tmpdir(), `juxta-fake-chromium-${process.pid}-${Date.now()}`)
    try {
      const { run, aptCalls } = runWithFakeApt({ CHROMIUM_PATH: target }, target)
      if (process.getuid?.() === 0) {
        expect(aptCalls).toEqual(['update -qq', 'install -y -qq --no-install-recommends chromium'])
        expect(run.status).toBe(0)
        expect(existsSync(target)).toBe(true)
      } else {
        expect(aptCalls).toEqual([])
        expect(run.status).toBe(1)
        expect(run.stderr.trim()).toBe(
          'ensure-system: npm test needs chromium (browser tests); ' +
            'run: sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium',
        )
      }
    } finally {
      rmSync(target, { force: true })
    }
  })
})
