import { spawnSync } from 'node:child_process'
import { realpathSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { projectRoot } from '../../src/project-root.ts'
import { buildRuntime } from '../../src/runtime.ts'
import { type CliSandbox, cliSandbox, ensureBuilt, JUXTA_BIN, runJuxta, spawnJuxta, waitFor } from '../helpers/cli.ts'
import { type FakeUpstream, startFakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig } from '../helpers/juxta.ts'

// `juxta targets`, `juxta serve`, `--help`, and the bin as `npm install -g` links it.

const sortedKeys = (o: object) => Object.keys(o).sort()

let upstream: FakeUpstream
let sandbox: CliSandbox

beforeAll(async () => {
  upstream = await startFakeUpstream()
  sandbox = cliSandbox({
    ...fakeConfig({
      cloud: { base_url: 'https://api.example.invalid/v1', api_key: '${UNSET_KEY_FOR_TEST}', models: ['big'] },
      up: {
        base_url: upstream.url,
        requires_key: false,
        models: ['words', { id: 'fancy', label: 'Fancy \x1b[31mred\x1b[0m model' }],
      },
    }),
  })
  await ensureBuilt()
}, 180_000)

afterAll(async () => {
  await upstream?.close()
  sandbox?.remove()
})

describe('juxta targets', () => {
  it('--json prints what GET /api/targets answers', async () => {
    const cli = await runJuxta(['targets', '--json'], { env: sandbox.env })
    expect(cli.code).toBe(0)
    const printed = JSON.parse(cli.stdout) as Array<Record<string, unknown>>
    const runtime = buildRuntime(sandbox.env, { cwd: sandbox.dir, log: () => {} })
    try {
      // The API's own probe of the loopback upstream, settled first, as the CLI does.
      await runtime.ctx.reachability.settle(runtime.ctx.catalog().providers, { maxWaitMs: 10_000 })
      const res = await runtime.app.request('http://127.0.0.1/api/targets', { headers: { host: '127.0.0.1' } })
      // Field for field, but for what each process's own probe of the local server found (its timing is its own).
      const probed = ({ reachable, unreachable_reason, ...rest }: Record<string, unknown>) => rest
      const answered = (await res.json()) as Array<Record<string, unknown>>
      expect(printed.map(probed)).toEqual(answered.map(probed))
      expect(sortedKeys(printed[0]!)).toEqual(sortedKeys(answered[0]!))
    } finally {
      await runtime.close()
    }
    expect(printed.map((t) => [t.target, t.key_status, t.reachable])).toEqual([
      ['cloud/big', 'missing', null],
      ['up/words', 'not_needed', true],
      ['up/fancy', 'not_needed', true],
    ])
  })

  it('prints a table with key status; a label is printed without its control sequences', async () => {
    const cli = await runJuxta(['targets'], { env: sandbox.env })
    expect(cli.code).toBe(0)
    const lines = cli.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^target\s+label\s+key\s+local server$/)
    expect(lines.find((l) => l.startsWith('cloud/big'))).toMatch(/cloud\/big\s+big\s+missing/)
    expect(lines.find((l) => l.startsWith('up/fancy'))).toMatch(/Fancy red model\s+not needed\s+reachable/)
    expect(cli.stdout).not.toContain('\x1b')
  })
})

describe('--help', () => {
  it('juxta --help lists the commands; each command has its own help; no command is bad usage', async () => {
    const main = await runJuxta(['--help'])
    expect(main.code).toBe(0)
    for (const command of ['ask', 'study', 'targets', 'serve'])
      expect(main.stdout).toMatch(new RegExp(`^  ${command} `, 'm'))
    for (const command of ['ask', 'study', 'targets', 'serve']) {
      const help = await runJuxta([command, '--help'])
      expect({ command, code: help.code, stderr: help.stderr }).toEqual({ command, code: 0, stderr: '' })
      expect(help.stdout).toMatch(new RegExp(`^Usage: juxta ${command}`))
      expect(help.stdout).toMatch(/-h, --help/)
    }
    const bare = await runJuxta([])
    expect(bare.code).toBe(2)
    expect(bare.stderr).toMatch(/^Usage: juxta <command>/)
  })
})

describe('the bin as npm installs it', () => {
  it('npm install -g links the checkout; the linked juxta runs from another directory', async () => {
    const prefix = join(sandbox.dir, 'prefix')
    // A local folder installs as a link, offline, with nothing fetched.
    const npm = spawnSync(
      'npm',
      ['install', '-g', '--prefix', prefix, projectRoot(), '--offline', '--no-audit', '--no-fund'],
      {
        env: { ...process.env, npm_config_cache: join(sandbox.dir, 'npm-cache'), npm_config_update_notifier: 'false' },
        encoding: 'utf8',
        timeout: 60_000,
      },
    )
    expect(npm.status, npm.stderr).toBe(0)
    const link = join(prefix, 'bin', 'juxta')
    expect(realpathSync(link)).toBe(realpathSync(JUXTA_BIN))
    const version = await runJuxta(['--version'], { bin: link, direct: true, cwd: sandbox.dir })
    expect(version.stderr).toBe('')
    expect(version.stdout).toMatch(/^juxta \d+\.\d+\.\d+\n$/)
    // Relative paths are the caller's: JUXTA_CONFIG relative to the working directory, as for the server.
    const targets = await runJuxta(['targets', '--json'], {
      bin: link,
      direct: true,
      cwd: sandbox.dir,
      env: { JUXTA_CONFIG: 'juxta.yaml', JUXTA_DATA_DIR: 'data' },
    })
    expect(targets.stderr).toBe('')
    expect((JSON.parse(targets.stdout) as Array<{ target: string }>).map((t) => t.target)).toContain('up/words')
  })
})

describe('juxta serve', () => {
  it('serves the API on the port asked for, and stops on Ctrl-C', async () => {
    const server = spawnJuxta(['serve', '--port', '0'], { env: sandbox.env })
    try {
      await waitFor(() => /listening on/.test(server.stdout()) || server.child.exitCode !== null, 'the server')
      const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(server.stdout())?.[1])
      expect(port).toBeGreaterThan(0)
      const res = await fetch(`http://127.0.0.1:${port}/api/targets`)
      expect(res.status).toBe(200)
      expect(((await res.json()) as Array<{ target: string }>).map((t) => t.target)).toContain('up/words')
      server.child.kill('SIGINT')
      expect((await server.exited).code).toBe(0)
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL')
    }
  })

  it('refuses a port that is not one, in one line', async () => {
    const cli = await runJuxta(['serve', '--port', 'eighty'], { env: sandbox.env })
    expect(cli.code).toBe(1)
    expect(cli.stderr).toBe('juxta: PORT must be a port number, got "eighty"\n')
  })
})
