import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfigFile, parseConfigText } from '../../src/config/load.ts'

const dir = mkdtempSync(join(tmpdir(), 'juxta-config-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The ConfigError a text produces (fails the test if it loads). */
function problemsOf(yaml: string, env: Record<string, string> = {}): ConfigError {
  try {
    parseConfigText(yaml, 'juxta.yaml', env)
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  throw new Error('expected a ConfigError, but the config loaded')
}

describe('config validation errors', () => {
  it('names an unknown key with its path', () => {
    const e = problemsOf(`
run:
  idle_timout_ms: 5
providers:
  local:
    base_url: http://127.0.0.1:8080/v1
    requires_key: false
    colour: red
    models: [m]
`)
    expect(e.problems).toContain('run.idle_timout_ms: unknown key "idle_timout_ms"')
    expect(e.problems).toContain('providers.local.colour: unknown key "colour"')
  })

  it('rejects a base_url that is not http(s), or carries credentials', () => {
    const e = problemsOf(`
providers:
  a:
    base_url: ftp://example.com/v1
    models: [m]
  b:
    base_url: not a url
    models: [m]
  c:
    base_url: https://user:secret@example.com/v1
    models: [m]
`)
    expect(e.problems).toEqual([
      'providers.a.base_url: must be an http:// or https:// URL',
      'providers.b.base_url: must be an http:// or https:// URL',
      'providers.c.base_url: must not contain user:password@',
    ])
  })

  it('rejects a duplicate model id at its index', () => {
    const e = problemsOf(`
providers:
  a:
    base_url: https://example.com/v1
    models: [m1, m2, {id: m1, label: Again}]
`)
    expect(e.problems).toEqual(['providers.a.models[2]: duplicate model id "m1"'])
  })

  it('rejects a duplicate provider key with its path and line', () => {
    const e = problemsOf(`providers:
  a:
    base_url: https://one.example/v1
    models: [m]
  a:
    base_url: https://two.example/v1
    models: [m]
`)
    expect(e.problems).toEqual(['providers.a (line 5, column 3): duplicate key (ids must be unique)'])
  })

  it('reports a missing file as such, naming the file', () => {
    const path = join(dir, 'nope.yaml')
    expect(() => loadConfigFile(path, {})).toThrowError(ConfigError)
    try {
      loadConfigFile(path, {})
    } catch (err) {
      expect((err as ConfigError).problems).toEqual(['file not found'])
      expect((err as ConfigError).message).toContain(path)
    }
  })

  it('names the unset variable behind a required base_url', () => {
    const e = problemsOf(`
providers:
  whole:
    base_url: \${WHOLE_URL}
    models: [m]
  part:
    base_url: \${PART_HOST}/v1
    models: [m]
`)
    expect(e.problems).toEqual([
      'providers.whole.base_url: uses ${WHOLE_URL}, which is not set in the environment',
      'providers.part.base_url: uses ${PART_HOST}, which is not set in the environment',
    ])
  })

  it('lists every problem at once, each with its path, in one message', () => {
    const e = problemsOf(`
run:
  idle_timeout_ms: -5
  bogus: 1
providers:
  a:
    base_url: \${A_URL}
    models: [x]
  b:
    base_url: ftp://x
    colour: red
    models: [m, m]
  Bad_Id:
    base_url: http://x
    models: [m]
`)
    const expected = [
      'run.idle_timeout_ms: ',
      'run.bogus: unknown key "bogus"',
      'providers.a.base_url: uses ${A_URL}, which is not set in the environment',
      'providers.b.base_url: must be an http:// or https:// URL',
      'providers.b.colour: unknown key "colour"',
      'providers.b.models[1]: duplicate model id "m"',
      'providers.Bad_Id: provider ids use a-z, 0-9 and "-" (max 40)',
    ]
    expect(e.problems.length).toBe(expected.length)
    expected.forEach((start, i) => {
      expect(e.problems[i]!.startsWith(start)).toBe(true)
    })
    for (const p of e.problems) expect(e.message).toContain(`  - ${p}`)
    expect(e.message.startsWith('Invalid configuration in juxta.yaml:')).toBe(true)
  })

  it('checks builtin and base_url rules', () => {
    const e = problemsOf(`
providers:
  demo:
    builtin: demo
    base_url: https://example.com
    models: [fast]
  real:
    models:
      - id: m
        simulate: { ttft_ms: 10 }
`)
    expect(e.problems).toEqual([
      'providers.demo.base_url: cannot be set on a builtin provider',
      'providers.real.base_url: is required',
      'providers.real.models[0].simulate: only the builtin demo provider simulates models',
    ])
  })

  it('reports YAML syntax errors with line and column', () => {
    const e = problemsOf('providers: [a: b\n')
    expect(e.problems.length).toBeGreaterThan(0)
    expect(e.problems[0]).toMatch(/^line \d+, column \d+: /)
  })

  it('requires providers in an empty file', () => {
    expect(problemsOf('').problems).toEqual(['providers: Invalid input: expected record, received undefined'])
  })
})

describe('config values', () => {
  it('fills ${NAME:-default} from the environment, else from the default', () => {
    const yaml = `
run:
  idle_timeout_ms: \${IDLE:-1234}
providers:
  a:
    base_url: \${A_URL:-http://127.0.0.1:9999/v1}
    api_key: \${A_KEY:-sk-from-default}
    models: [m]
`
    const unset = parseConfigText(yaml, 't', {})
    expect(unset.config.providers.a!.base_url).toBe('http://127.0.0.1:9999/v1')
    expect(unset.config.providers.a!.api_key).toBe('sk-from-default')
    expect(unset.config.run.idle_timeout_ms).toBe(1234)
    expect(unset.keySources.a).toBe('config')
    const set = parseConfigText(yaml, 't', { A_URL: 'https://api.example.com/v1', A_KEY: 'sk-from-env', IDLE: '777' })
    expect(set.config.providers.a!.base_url).toBe('https://api.example.com/v1')
    expect(set.config.providers.a!.api_key).toBe('sk-from-env')
    expect(set.keySources.a).toBe('env')
    expect(set.config.run.idle_timeout_ms).toBe(777)
    // A value from the environment is validated like a literal one.
    expect(problemsOf(yaml, { IDLE: 'soon' }).problems).toEqual([
      'run.idle_timeout_ms: Invalid input: expected number, received string',
    ])
    expect(problemsOf(yaml, { IDLE: '-3' }).problems[0]).toMatch(/^run\.idle_timeout_ms: Too small/)
  })

  it('reads numbers and booleans from the environment wherever the schema wants them', () => {
    const c = parseConfigText(
      `
providers:
  local:
    base_url: http://127.0.0.1:11434/v1
    requires_key: \${LOCAL_NEEDS_KEY:-false}
    idle_timeout_ms: \${LOCAL_IDLE}
    models: [m]
  demo:
    builtin: demo
    models:
      - id: fast
        simulate:
          ttft_ms: \${DEMO_TTFT:-25}
          tokens_per_s: 500
        price: { input: "\${DEMO_IN:-0.5}", output: 1 }
`,
      't',
      { LOCAL_IDLE: '9000' },
    )
    expect(c.config.providers.local!.requires_key).toBe(false)
    expect(c.config.providers.local!.idle_timeout_ms).toBe(9000)
    const fast = c.config.providers.demo!.models[0]
    expect(typeof fast === 'object' && fast.simulate?.ttft_ms).toBe(25)
    expect(typeof fast === 'object' && fast.price?.input).toBe(0.5)
  })

  it('keeps a literal quoted number in YAML an error (only substituted text is read as a number)', () => {
    expect(
      problemsOf('run:\n  max_retries: "3"\nproviders:\n  a:\n    base_url: https://a.test/v1\n    models: [m]\n')
        .problems,
    ).toEqual(['run.max_retries: Invalid input: expected number, received string'])
  })

  it('treats an empty variable as unset', () => {
    const c = parseConfigText('providers:\n  a:\n    base_url: ${U:-http://x.test/v1}\n    models: [m]\n', 't', {
      U: '',
    })
    expect(c.config.providers.a!.base_url).toBe('http://x.test/v1')
  })

  it('loads a provider whose api_key variable is unset, without a key', () => {
    const c = parseConfigText(
      'providers:\n  a:\n    base_url: https://a.test/v1\n    api_key: ${A_KEY}\n    models: [m]\n',
      't',
      {},
    )
    expect(c.config.providers.a!.api_key).toBeUndefined()
    expect(c.keySources).toEqual({})
  })

  it('applies run defaults when `run` is absent', () => {
    const c = parseConfigText('providers:\n  a:\n    base_url: https://a.test/v1\n    models: [m]\n', 't', {})
    expect(c.config.run).toMatchObject({
      idle_timeout_ms: 60_000,
      deadline_ms: 600_000,
      connect_timeout_ms: 30_000,
      max_retries: 2,
      retry_after_cap_ms: 10_000,
      max_targets: 16,
      max_output_chars: 4_000_000,
    })
  })

  it('reads a file from disk', () => {
    const path = join(dir, 'ok.yaml')
    writeFileSync(path, 'providers:\n  a:\n    base_url: https://a.test/v1\n    models: [m]\n')
    expect(loadConfigFile(path, {}).source).toBe(path)
  })
})
