import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildRuntime, type Runtime } from '../../src/runtime.ts'
import type { RunResponse } from '../../src/engine/run-response.ts'
import { type CliSandbox, cliSandbox, ensureBuilt, runJuxta, spawnJuxta, waitFor } from '../helpers/cli.ts'
import { type FakeUpstream, startFakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig } from '../helpers/juxta.ts'

// `juxta ask` as a user runs it: the bin launcher in a child process, a config file and a data directory of its
// own, loopback upstreams answering through the real SDK.

const FIXTURE = 'fixture:openai_gpt-4o-mini_stream_include-usage.sse'
const PRICE = { input: 0.15, cached_input: 0.075, output: 0.6 }

let upstream: FakeUpstream
let sandbox: CliSandbox

beforeAll(async () => {
  upstream = await startFakeUpstream()
  upstream.script('words', { kind: 'text', deltas: ['One', ' two', ' three'] })
  upstream.script('slow', { kind: 'text', deltas: 400, everyMs: 50 })
  // An answer written to take over a terminal: colours, clear screen, a window title, a clipboard write (OSC 52),
  // 8-bit CSI, a bell, a backspace and a carriage return.
  upstream.script('evil', {
    kind: 'text',
    deltas: [
      'Hi \x1b[31mred\x1b[0m',
      ' \x1b[2J\x1b[Hclear',
      ' \x1b]0;pwned\x07title',
      ' \x1b]52;c;ZXZpbA==\x07clip',
      ' \x9b2Jcsi8 bell\x07 back\x08 cr\r tab\tend',
    ],
  })
  sandbox = cliSandbox(
    fakeConfig({
      up: {
        base_url: upstream.url,
        models: [
          { id: FIXTURE, price: PRICE },
          { id: 'words', price: { input: 1, output: 2 } },
          { id: 'slow', price: { input: 1, output: 2 } },
          { id: 'evil', price: { input: 1, output: 2 } },
          'fault:500',
        ],
      },
    }),
  )
  await ensureBuilt()
}, 180_000)

afterAll(async () => {
  await upstream?.close()
  sandbox?.remove()
})

/** The server's composition over the CLI's config and data directory. */
function serverRuntime(): Runtime {
  return buildRuntime(sandbox.env, { cwd: sandbox.dir, log: () => {} })
}

async function api(runtime: Runtime, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await runtime.app.request(`http://127.0.0.1${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { host: '127.0.0.1', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: res.status, json: await res.json() }
}

const sortedKeys = (o: object) => Object.keys(o).sort()

describe('juxta ask --json', () => {
  it('prints what POST /api/compare answers for the same fixtures, and the run is in history', async () => {
    const targets = [`up/${FIXTURE}`, 'up/words']
    const cli = await runJuxta(['ask', '--json', '-t', targets[0]!, '-t', targets[1]!, 'Say hi'], {
      env: sandbox.env,
    })
    expect(cli.stderr).toBe('')
    expect(cli.code).toBe(0)
    const printed = JSON.parse(cli.stdout) as RunResponse

    const runtime = serverRuntime()
    try {
      const viaApi = await api(runtime, '/api/compare', { prompt: 'Say hi', targets })
      expect(viaApi.status).toBe(200)
      const answered = viaApi.json as RunResponse
      // The same shape, field for field...
      expect(sortedKeys(printed)).toEqual(sortedKeys(answered))
      expect(sortedKeys(printed.summary)).toEqual(sortedKeys(answered.summary))
      // ...and the same numbers: text, usage and cost (times are measured, so they differ run to run).
      expect(printed.results.map((r) => r.status)).toEqual(['ok', 'ok'])
      printed.results.forEach((r, i) => {
        const a = answered.results[i]!
        expect(sortedKeys(r)).toEqual(sortedKeys(a))
        expect([r.target, r.text, r.usage, r.cost]).toEqual([a.target, a.text, a.usage, a.cost])
      })
      expect(printed.results[0]!.cost.total_usd).toBeGreaterThan(0)
      const costFigures = (s: RunResponse['summary']) =>
        s.targets.map((t) => [t.target, t.cost_usd, t.cost_multiple, t.per_1000_usd, t.cheapest])
      expect(costFigures(printed.summary)).toEqual(costFigures(answered.summary))
      expect(printed.summary.cheapest).toEqual(answered.summary.cheapest)

      // The CLI's run was written to the history database the server reads.
      const stored = await api(runtime, `/api/runs/${printed.run_id}`)
      expect(stored.status).toBe(200)
      const run = stored.json as { status: string; prompt: string; results: RunResponse['results'] }
      expect(run.status).toBe('done')
      expect(run.prompt).toBe('Say hi')
      expect(run.results.map((r) => [r.target, r.text, r.cost.total_usd])).toEqual(
        printed.results.map((r) => [r.target, r.text, r.cost.total_usd]),
      )
    } finally {
      await runtime.close()
    }
  })
})

describe('juxta ask, exit status and output', () => {
  it('exits 1 when a target fails; the other column still answers, and the failure is named', async () => {
    const cli = await runJuxta(['ask', '-t', 'up/fault:500', '-t', 'up/words', 'Hello?'], { env: sandbox.env })
    expect(cli.code).toBe(1)
    expect(cli.stdout).toContain('## up/words')
    expect(cli.stdout).toContain('One two three')
    expect(cli.stdout).toMatch(/\[error \(upstream, HTTP 500\): .*server had an error/)
    // The figures: a row per target; the failed one's cost is unknown with its reason, never $0.
    const row = cli.stdout.split('\n').find((l) => l.startsWith('up/fault:500'))!
    expect(row).toContain('unknown (')
    expect(row).not.toContain('$0')
    expect(cli.stdout.split('\n').find((l) => l.startsWith('up/words'))).toMatch(/\$0\.0000\d+/)
  })

  it('exits 2 with one line on stderr for a bad option, number or target, calling no upstream', async () => {
    const before = upstream.requests.length
    const cases: Array<[string[], RegExp]> = [
      [['ask', '--bogus', 'x'], /^juxta: unknown option --bogus \(see juxta ask --help\)\n$/],
      [['ask', '-t'], /^juxta: --target needs a value/],
      [['ask', '--temperature', 'hot', 'x'], /^juxta: --temperature must be a number, got "hot"\n$/],
      [['ask', '--max-tokens', '1.5', 'x'], /^juxta: --max-tokens must be a whole number/],
      [['ask', '-t', 'up/nope', 'x'], /^juxta: unknown target "up\/nope" \(juxta targets lists them\)\n$/],
      [['ask'], /^juxta: ask needs a PROMPT/],
      [['ask', 'two', 'words'], /^juxta: ask takes one PROMPT, got 2 arguments/],
      [['frobnicate'], /^juxta: unknown command "frobnicate"/],
    ]
    for (const [args, message] of cases) {
      const cli = await runJuxta(args, { env: sandbox.env })
      expect({ args, code: cli.code }).toEqual({ args, code: 2 })
      expect(cli.stderr).toMatch(message)
      expect(cli.stderr.trimEnd().split('\n')).toHaveLength(1)
      expect(cli.stdout).toBe('')
    }
    expect(upstream.requests.length).toBe(before)
  })

  it('strips terminal control sequences from an answer before printing it; --json keeps the exact text', async () => {
    const cli = await runJuxta(['ask', '-t', 'up/evil', 'Be nice'], { env: sandbox.env })
    expect(cli.code).toBe(0)
    // The sequences go whole, parameters and payloads included; the text around them stays.
    expect(cli.stdout).toContain('Hi red clear title clip csi8 bell back cr tab\tend')
    expect(cli.stdout).not.toMatch(/pwned|ZXZpbA|\[31m|\[2J/)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters
    expect(cli.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/)

    const json = await runJuxta(['ask', '--json', '-t', 'up/evil', 'Be nice'], { env: sandbox.env })
    const text = (JSON.parse(json.stdout) as RunResponse).results[0]!.text
    expect(text).toContain('\x1b]52;c;ZXZpbA==\x07clip')
    // JSON escapes them: the raw bytes never reach the terminal.
    expect(json.stdout).not.toContain('\x1b')
  })

  it('reads the prompt from stdin for -', async () => {
    const cli = await runJuxta(['ask', '--json', '-t', 'up/words', '-'], {
      env: sandbox.env,
      input: 'A prompt\nfrom a pipe\n',
    })
    expect(cli.code).toBe(0)
    const sent = upstream.requestsFor('words').at(-1)!.body.messages
    expect(sent.at(-1)).toEqual({ role: 'user', content: 'A prompt\nfrom a pipe\n' })
  })

  it('Ctrl-C aborts the upstream requests, keeps the partial run in history and exits 130', async () => {
    const aborted = upstream.aborts
    const seen = upstream.requestsFor('slow').length
    const cli = spawnJuxta(['ask', '--json', '-t', 'up/slow', 'Take your time'], { env: sandbox.env })
    await waitFor(() => upstream.requestsFor('slow').length > seen, 'the upstream request')
    cli.child.kill('SIGINT')
    const result = await cli.exited
    expect(result.code).toBe(130)
    const printed = JSON.parse(result.stdout) as RunResponse
    expect(printed.results[0]!.status).toBe('cancelled')
    await waitFor(() => upstream.aborts > aborted, 'the upstream to see the abort', 5000)
    expect(upstream.requestsFor('slow').at(-1)!.aborted).toBe(true)

    const runtime = serverRuntime()
    try {
      const stored = await api(runtime, `/api/runs/${printed.run_id}`)
      expect((stored.json as { results: Array<{ status: string }> }).results[0]!.status).toBe('cancelled')
    } finally {
      await runtime.close()
    }
  })

  it('says what is wrong with the config file, naming it, without a stack trace', async () => {
    const bad = cliSandbox('providers:\n  x:\n    base_url: ftp://nope\n    models: [m]\n')
    try {
      const cli = await runJuxta(['ask', 'hi'], { env: bad.env })
      expect(cli.code).toBe(1)
      expect(cli.stderr).toContain(`juxta: Invalid configuration in ${bad.configPath}`)
      expect(cli.stderr).toContain('providers.x.base_url')
      expect(cli.stderr).not.toMatch(/\n\s+at /)
    } finally {
      bad.remove()
    }
  })
})
