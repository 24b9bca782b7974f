import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildRuntime, type Runtime } from '../../src/runtime.ts'
import type { StudyView } from '../../src/studies/types.ts'
import { type CliSandbox, cliSandbox, ensureBuilt, runJuxta, spawnJuxta, waitFor } from '../helpers/cli.ts'
import { type FakeUpstream, startFakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig } from '../helpers/juxta.ts'

// `juxta study` in a child process over loopback upstreams with known usage, read back through the API.

const PRICE = { input: 1, output: 2 }
// Usage per request (the fake's default): 11 prompt tokens, one completion token per delta. At $1 / $2 per 1M:
// `short` (3 deltas) costs $0.000017 and `long` (30 deltas) $0.000071 per request, on every prompt.
const SHORT_USD = 17e-6
const LONG_USD = 71e-6
const PROMPTS = ['What is 2+2?', 'Name a colour.', 'Say hello.', 'Count to three.', 'Spell cat.']

let upstream: FakeUpstream
let sandbox: CliSandbox
let promptFile: string

beforeAll(async () => {
  upstream = await startFakeUpstream()
  upstream.script('short', { kind: 'text', deltas: ['One', ' two', ' three'] })
  upstream.script('long', { kind: 'text', deltas: 30 })
  upstream.script('slow', { kind: 'text', deltas: 400, everyMs: 50 })
  sandbox = cliSandbox(
    fakeConfig({
      up: {
        base_url: upstream.url,
        models: [
          { id: 'short', price: PRICE },
          { id: 'long', price: PRICE },
          { id: 'slow', price: PRICE },
          'fault:500',
        ],
      },
    }),
  )
  promptFile = join(sandbox.dir, 'prompts.txt')
  writeFileSync(promptFile, `${PROMPTS.join('\n')}\n`)
  await ensureBuilt()
}, 180_000)

afterAll(async () => {
  await upstream?.close()
  sandbox?.remove()
})

function serverRuntime(): Runtime {
  return buildRuntime(sandbox.env, { cwd: sandbox.dir, log: () => {} })
}

async function get(runtime: Runtime, path: string): Promise<Response> {
  return runtime.app.request(`http://127.0.0.1${path}`, { headers: { host: '127.0.0.1' } })
}

describe('juxta study', () => {
  it('--json prints what GET /api/studies/:id answers (exact costs, ratios); --out writes the exports', async () => {
    const cli = await runJuxta(
      [
        'study',
        promptFile,
        '-t',
        'up/short',
        '-t',
        'up/long',
        '--repeats',
        '2',
        '--name',
        'CLI study',
        '--json',
        '--out',
        join(sandbox.dir, 'cells.csv'),
      ],
      { env: sandbox.env },
    )
    expect(cli.code).toBe(0)
    const printed = JSON.parse(cli.stdout) as StudyView
    expect(printed).toMatchObject({ name: 'CLI study', status: 'done', progress: { done: 20, total: 20 } })
    const [short, long] = printed.summary.targets
    expect([short!.target, short!.cells, short!.ok, short!.errors]).toEqual(['up/short', 10, 10, 0])
    expect(short!.cost_usd!.total).toBeCloseTo(10 * SHORT_USD, 15)
    expect(short!.cost_usd!.median).toBeCloseTo(SHORT_USD, 15)
    expect(long!.cost_usd!.p90).toBeCloseTo(LONG_USD, 15)
    expect(long!.output_tokens.median).toBe(30)
    expect(printed.summary.cost_ratios).toHaveLength(1)
    const ratio = printed.summary.cost_ratios[0]!
    expect([ratio.target, ratio.vs, ratio.prompts]).toEqual(['up/long', 'up/short', 5])
    expect(ratio.median).toBeCloseTo(LONG_USD / SHORT_USD, 9)
    expect(ratio.ci95![0]).toBeCloseTo(LONG_USD / SHORT_USD, 9)

    const runtime = serverRuntime()
    try {
      const res = await get(runtime, `/api/studies/${printed.study_id}`)
      expect(res.status).toBe(200)
      expect(printed).toEqual(await res.json())
      // Every cell is a run in history.
      const runs = (await (await get(runtime, '/api/runs?limit=100')).json()) as { runs: unknown[] }
      expect(runs.runs.length).toBeGreaterThanOrEqual(20)
      // The CSV file is the API's export, byte for byte.
      const csv = Buffer.from(await (await get(runtime, `/api/studies/${printed.study_id}/export.csv`)).arrayBuffer())
      expect(readFileSync(join(sandbox.dir, 'cells.csv')).equals(csv)).toBe(true)
      expect(csv.toString('utf8').trimEnd().split('\r\n')).toHaveLength(21)
    } finally {
      await runtime.close()
    }
    // Progress went to stderr, never into the JSON.
    expect(cli.stderr).toMatch(/^study: 20\/20 cells, 0 errors, \$0\.000\d+ spent$/m)
    expect(cli.stderr).toContain(`study: wrote ${join(sandbox.dir, 'cells.csv')}`)
  })

  it('prints the summary table and the paired-ratio line; --out .json is the API export', async () => {
    const out = join(sandbox.dir, 'study.json')
    const cli = await runJuxta(['study', 'prompts.txt', '-t', 'up/long', '-t', 'up/short', '--out', 'study.json'], {
      env: sandbox.env,
      cwd: sandbox.dir,
    })
    expect(cli.code).toBe(0)
    const lines = cli.stdout.split('\n')
    expect(lines.find((l) => l.startsWith('target'))).toMatch(
      /^target\s+ok \/ errors\s+cost mean\s+median\s+p90\s+TTFT median\s+tokens\/s median\s+pass rate$/,
    )
    expect(lines.find((l) => l.startsWith('up/short'))).toMatch(
      /^up\/short\s+5 \/ 0\s+\$0\.000017\s+\$0\.000017\s+\$0\.000017/,
    )
    expect(lines.find((l) => l.startsWith('up/long'))).toMatch(/^up\/long\s+5 \/ 0\s+\$0\.000071\s+\$0\.000071/)
    expect(cli.stdout).toContain(
      'up/short costs 4.2× less than up/long per request on these 5 prompts (95% CI 4.2–4.2×).',
    )

    const exported = JSON.parse(readFileSync(out, 'utf8')) as { study: StudyView; cells: unknown[] }
    expect(exported.cells).toHaveLength(10)
    const runtime = serverRuntime()
    try {
      const api = await (await get(runtime, `/api/studies/${exported.study.study_id}/export.json`)).json()
      expect(exported).toEqual(api)
    } finally {
      await runtime.close()
    }
  })

  it('counts a failing target’s errors, with no known cost, and exits 1; --out .html is the API report', async () => {
    const report = join(sandbox.dir, 'report.html')
    const cli = await runJuxta(
      ['study', promptFile, '-t', 'up/short', '-t', 'up/fault:500', '--json', '--out', report],
      {
        env: sandbox.env,
      },
    )
    expect(cli.code).toBe(1)
    const view = JSON.parse(cli.stdout) as StudyView
    const failing = view.summary.targets.find((t) => t.target === 'up/fault:500')!
    expect([failing.ok, failing.errors, failing.errors_by_kind, failing.cost_usd]).toEqual([
      0,
      5,
      { upstream: 5 },
      null,
    ])
    expect(view.summary.targets.find((t) => t.target === 'up/short')!.ok).toBe(5)
    // The HTML report, as GET /api/studies/:id/export.html renders it: self-contained, nothing that loads or runs.
    const html = readFileSync(report, 'utf8')
    expect(html).toMatch(/^<!DOCTYPE html>/)
    expect(html).toContain('http-equiv="Content-Security-Policy"')
    expect(html).toContain(view.name)
    expect(html).not.toMatch(/<script|<link|https?:/i)
    const runtime = serverRuntime()
    try {
      const api = await (await get(runtime, `/api/studies/${view.study_id}/export.html`)).text()
      // The same document but for the time each was generated.
      const undated = (text: string) => text.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z|\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?/g, 'T')
      expect(undated(html)).toBe(undated(api))
    } finally {
      await runtime.close()
    }
  })

  it('refuses a bad file, option or target in one line with exit 2, starting nothing', async () => {
    const bad = join(sandbox.dir, 'bad.jsonl')
    writeFileSync(bad, '{"prompt": "fine"}\n{"question": "no prompt"}\n')
    const array = join(sandbox.dir, 'prompts.json')
    writeFileSync(array, '[\n"one",\n"two"\n]\n')
    const binary = join(sandbox.dir, 'binary.txt')
    writeFileSync(binary, Buffer.from([0x68, 0x69, 0x0a, 0xff, 0xfe, 0x0a]))
    const before = upstream.requests.length
    const cases: Array<[string[], RegExp]> = [
      [['study', bad, '-t', 'up/short'], /^juxta: .*bad\.jsonl:2: unknown field "question"/],
      [['study', array, '-t', 'up/short'], /^juxta: .*prompts\.json:1: not a CSV, JSONL or text file/],
      [['study', binary, '-t', 'up/short'], /^juxta: .*binary\.txt:2: not UTF-8 text/],
      [['study', promptFile, '-t', 'up/nope'], /^juxta: unknown target "up\/nope"/],
      [['study', promptFile], /^juxta: study needs at least one target/],
      [
        ['study', promptFile, '-t', 'up/short', '--repeats', '21'],
        /^juxta: --repeats must be a whole number from 1 to 20/,
      ],
      [['study', promptFile, '-t', 'up/short', '--out', 'x.pdf'], /^juxta: --out must end in \.csv, \.json or \.html/],
      [
        ['study', join(sandbox.dir, 'missing.txt'), '-t', 'up/short'],
        /^juxta: cannot read .*missing\.txt: no such file/,
      ],
      // Above the budget before it starts: the estimate's low end (the prompts' input tokens) is over $0.000001.
      [
        ['study', promptFile, '-t', 'up/short', '--max-usd', '0.000001'],
        /^juxta: max_usd: the estimate is \$.* above the budget of \$0\.000001/,
      ],
    ]
    for (const [args, message] of cases) {
      const cli = await runJuxta(args, { env: sandbox.env })
      expect({ args, code: cli.code }).toEqual({ args, code: 2 })
      expect(cli.stderr).toMatch(message)
      expect(cli.stderr.trimEnd().split('\n')).toHaveLength(1)
    }
    expect(upstream.requests.length).toBe(before)
  })

  it('Ctrl-C cancels the study: requests in flight are aborted, it is stored cancelled, exit 130', async () => {
    const seen = upstream.requestsFor('slow').length
    const aborts = upstream.aborts
    const cli = spawnJuxta(['study', promptFile, '-t', 'up/slow', '--json'], { env: sandbox.env })
    await waitFor(() => upstream.requestsFor('slow').length > seen, 'a cell to start')
    cli.child.kill('SIGINT')
    const result = await cli.exited
    expect(result.code).toBe(130)
    const view = JSON.parse(result.stdout) as StudyView
    expect(view.status).toBe('cancelled')
    expect(view.progress.done).toBeLessThan(view.progress.total)
    await waitFor(() => upstream.aborts > aborts, 'the upstream to see the abort', 5000)
    const runtime = serverRuntime()
    try {
      const stored = (await (await get(runtime, `/api/studies/${view.study_id}`)).json()) as StudyView
      expect(stored.status).toBe('cancelled')
    } finally {
      await runtime.close()
    }
  })
})
