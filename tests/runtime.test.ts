import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { buildRuntime, StartupError } from '../src/runtime.ts'

const dir = mkdtempSync(join(tmpdir(), 'juxta-runtime-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const DEMO_CONFIG = `
providers:
  demo:
    builtin: demo
    models: [fast]
`

function startupMessage(env: Record<string, string>): string {
  try {
    const runtime = buildRuntime(env, { cwd: dir, log: () => {} })
    void runtime.close()
  } catch (err) {
    if (err instanceof StartupError) return err.message
    throw err
  }
  throw new Error('expected a StartupError')
}

describe('buildRuntime', () => {
  it('composes config, history and stores from an environment, relative to its working directory', async () => {
    writeFileSync(join(dir, 'juxta.yaml'), DEMO_CONFIG)
    const runtime = buildRuntime({ PORT: '0', JUXTA_DATA_DIR: 'state' }, { cwd: dir, log: () => {} })
    expect(runtime.configPath).toBe(join(dir, 'juxta.yaml'))
    expect(runtime.dataDir).toBe(join(dir, 'state'))
    expect(runtime.host).toBe('127.0.0.1')
    expect(runtime.port).toBe(0)
    expect(existsSync(join(dir, 'state', 'juxta.db'))).toBe(true)
    expect(
      runtime.ctx
        .catalog()
        .targets()
        .map((t) => t.target),
    ).toEqual(['demo/fast'])
    // The app is the real one, with history behind it.
    const res = await runtime.app.request('http://127.0.0.1/api/runs', { headers: { host: '127.0.0.1' } })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ runs: [] })
    await runtime.close()
    await runtime.close()
  })

  it('refuses a bad port, an exposed bind without a token and an invalid config with one message each', () => {
    expect(startupMessage({ PORT: 'eighty' })).toBe('PORT must be a port number, got "eighty"')
    expect(startupMessage({ HOST: '0.0.0.0', PORT: '0' })).toMatch(/^Refusing to start: HOST=0\.0\.0\.0/)
    writeFileSync(join(dir, 'bad.yaml'), 'providers:\n  x:\n    base_url: ftp://nope\n')
    const message = startupMessage({ PORT: '0', JUXTA_CONFIG: 'bad.yaml', JUXTA_DATA_DIR: 'bad-state' })
    expect(message).toContain(`Invalid configuration in ${join(dir, 'bad.yaml')}`)
    expect(message).toContain('providers.x.base_url')
    // Nothing is opened for a config that never loaded.
    expect(existsSync(join(dir, 'bad-state'))).toBe(false)
  })
})
