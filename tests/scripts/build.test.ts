import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { build } from '../../scripts/build.mjs'

const ROOT = resolve(import.meta.dirname, '../..')

// The tests run the sources through tsx; what `npm start` and the `juxta` launcher run is this bundle. Built
// under dist/ (ignored by git and the linter): the server finds views and config by walking up to package.json.
const out = join(ROOT, 'dist', `build-test-${process.pid}`)
const dataDir = mkdtempSync(join(tmpdir(), 'juxta-build-test-'))
let server: ChildProcess | undefined
let base = ''

/** Starts the bundled server on a free port and resolves with its address once it says it listens. */
function startBundle(): Promise<string> {
  return new Promise((resolveUrl, reject) => {
    const child = spawn(process.execPath, [join(out, 'src', 'server.js')], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', JUXTA_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    server = child
    let output = ''
    const onData = (chunk: Buffer) => {
      output += chunk
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1]
      if (url) resolveUrl(url)
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.once('exit', (code) => reject(new Error(`the bundled server exited (${code}):\n${output}`)))
  })
}

beforeAll(async () => {
  const warnings = await build({ outdir: out })
  expect(warnings.map((w) => w.text)).toEqual([])
  base = await startBundle()
}, 60_000)

afterAll(() => {
  server?.kill()
  rmSync(out, { recursive: true, force: true })
  rmSync(dataDir, { recursive: true, force: true })
})

describe('the bundled dist/', () => {
  it('holds the two programs and a few chunks, not one file per module', () => {
    expect(existsSync(join(out, 'src', 'server.js'))).toBe(true)
    expect(existsSync(join(out, 'src', 'cli', 'main.js'))).toBe(true)
    const chunks = readdirSync(join(out, 'src', 'chunks')).filter((f) => f.endsWith('.js'))
    expect(chunks.length).toBeGreaterThan(0)
    expect(chunks.length).toBeLessThan(40)
  })

  it('serves the page with htmx from node_modules', async () => {
    const page = await fetch(`${base}/`)
    expect(page.status).toBe(200)
    const html = await page.text()
    const script = /<script[^>]+src="([^"]*htmx[^"]*)"/.exec(html)?.[1]
    expect(script).toBeTruthy()
    const js = await fetch(new URL(script!, base))
    expect(js.status).toBe(200)
    expect(await js.text()).toContain('htmx')
  })

  it('runs a compare on the demo provider, records it, and renders its page', async () => {
    const res = await fetch(`${base}/api/compare`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'Explain a hash map with a code example', targets: ['demo/fast'] }),
    })
    expect(res.status).toBe(200)
    const run = (await res.json()) as { run_id: string; results: Array<{ status: string; text: string }> }
    expect(run.results[0]!.status).toBe('ok')
    expect(run.results[0]!.text.length).toBeGreaterThan(20)
    const listed = (await (await fetch(`${base}/api/runs`)).json()) as { runs: Array<{ run_id: string }> }
    expect(listed.runs.map((r) => r.run_id)).toContain(run.run_id)
    // The run page renders the answer's Markdown (markdown-it in the bundle, highlight.js and the sanitizer
    // loaded from node_modules on first use).
    const page = await fetch(`${base}/runs/${run.run_id}`)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('Demo fast (simulated)')
    expect(html).toMatch(/<pre tabindex="0"><code class="language-\w+"><span class="hljs-/)
  })

  it('streams a compare straight to the socket, with the security headers', async () => {
    const res = await fetch(`${base}/api/compare`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'Say hello', targets: ['demo/fast'], stream: true }),
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'")
    const text = await res.text()
    expect(text.startsWith('event: run\n')).toBe(true)
    expect(text).toContain('event: delta\n')
    expect(text).toMatch(/event: done\ndata: \{"run_id"/)
  })

  it('runs the CLI', () => {
    const r = spawnSync(process.execPath, [join(out, 'src', 'cli', 'main.js'), 'targets', '--json'], {
      cwd: ROOT,
      env: { ...process.env, JUXTA_DATA_DIR: dataDir },
      encoding: 'utf8',
    })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(JSON.stringify(JSON.parse(r.stdout))).toContain('demo/fast')
  })
})
