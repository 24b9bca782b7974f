// Builds dist/: the server and the CLI as esbuild bundles (ES modules, shared code split into chunks), what
// `npm start`, the `juxta` launcher and `npm run bench` run. Type checking is `tsc --noEmit` (npm test).
//
// Why a bundle: Node 20 resolves, reads and compiles every module of an unbundled tree one by one; the server
// loaded ~540 of them before listening (openai, zod, hono and ours), most of its start-up time (issue #13,
// `npm run bench` row 0). A dependency stays outside the bundle when it is native (better-sqlite3), loaded on
// first use only (the tokenizer, the renderers, the chart libraries, the team runtime's clients), or reads files
// next to itself.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)))

/** Packages left to Node's own resolution at run time (see above). */
export const EXTERNAL = [
  'better-sqlite3',
  'pg',
  'ioredis',
  'bullmq',
  'undici',
  'gpt-tokenizer',
  'katex',
  'highlight.js',
  'sanitize-html',
  'linkedom',
  '@observablehq/plot',
]

/** The programs dist/ holds, relative to the root. */
export const ENTRIES = ['src/server.ts', 'src/cli/main.ts']

/**
 * Bundles ENTRIES into `outdir` (dist/ by default; tests build elsewhere inside dist/, since the server finds its
 * views and config by walking up to package.json). Resolves with esbuild's warnings; rejects on errors.
 *
 * The bundle is written beside the old one and swapped in by renames: a failed build leaves the last good one,
 * and a process starting meanwhile loads one whole build, never half of each.
 */
export async function build({ outdir = join(ROOT, 'dist'), esbuild } = {}) {
  const within = relative(join(ROOT, 'dist'), resolve(outdir))
  if (within.startsWith('..') || resolve(outdir) !== resolve(ROOT, 'dist', within)) {
    throw new Error(`the build writes only inside dist/, not ${outdir}`)
  }
  const { build: bundle } = esbuild ?? (await import('esbuild'))
  const next = join(outdir, `.next-${process.pid}`)
  const old = join(outdir, `.old-${process.pid}`)
  rmSync(next, { recursive: true, force: true })
  mkdirSync(outdir, { recursive: true })
  try {
    const result = await bundle({
      absWorkingDir: ROOT,
      entryPoints: ENTRIES,
      outbase: '.',
      outdir: next,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20.19',
      chunkNames: 'src/chunks/[name]-[hash]',
      external: EXTERNAL,
      // Not read by Node unless asked: NODE_OPTIONS=--enable-source-maps maps stack traces to the sources.
      sourcemap: 'linked',
      // CommonJS packages inside the bundle call require(); an ES module has none of its own.
      banner: {
        js:
          "import { createRequire as __juxtaRequire } from 'node:module'\n" +
          'const require = __juxtaRequire(import.meta.url)',
      },
      logLevel: 'silent',
    })
    // Only what a build writes: the launcher's lock lives in dist/ too (views/ held an older build's output).
    rmSync(join(outdir, 'views'), { recursive: true, force: true })
    if (existsSync(join(outdir, 'src'))) renameSync(join(outdir, 'src'), old)
    renameSync(join(next, 'src'), join(outdir, 'src'))
    writeFileSync(join(outdir, '.build-stamp'), `${new Date().toISOString()}\n`)
    return result.warnings
  } finally {
    rmSync(next, { recursive: true, force: true })
    rmSync(old, { recursive: true, force: true })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const started = performance.now()
    const warnings = await build()
    for (const w of warnings) process.stderr.write(`build warning: ${w.text}\n`)
    if (!process.argv.includes('--quiet')) {
      process.stderr.write(`built dist/ in ${Math.round(performance.now() - started)} ms\n`)
    }
  } catch (err) {
    // esbuild's errors already name the file, line and problem, one per line.
    const errors = err?.errors ?? []
    for (const e of errors) {
      const at = e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ` : ''
      process.stderr.write(`${at}${e.text}\n`)
    }
    if (errors.length === 0) process.stderr.write(`build failed: ${err?.message ?? err}\n`)
    process.exit(1)
  }
}
