#!/usr/bin/env node
// The `juxta` command. Node 20 cannot run TypeScript, so this runs the built CLI in dist/, building dist/ first
// (scripts/build.mjs, as `npm start` does) when it is missing or older than the sources. Works from the checkout, through
// `npm install -g` / `npm link` (a symlink: node resolves it to this file, so the checkout is found) and from any
// working directory.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const entry = join(root, 'dist', 'src', 'cli', 'main.js')
// Written by a successful build, after its outputs.
const stamp = join(root, 'dist', '.build-stamp')
const lock = join(root, 'dist', '.build-lock')
// The packages compiled into the bundle count too: an `npm ci` that changes one rebuilds.
const SOURCES = [
  'src',
  'views',
  'config',
  'tsconfig.json',
  'scripts/build.mjs',
  'package.json',
  'package-lock.json',
  'node_modules/.package-lock.json',
]

/** The newest modification time among the compiled sources (milliseconds), 0 when there are none. */
function newestSource() {
  let newest = 0
  const visit = (path) => {
    let info
    try {
      info = statSync(path)
    } catch {
      return
    }
    if (info.isDirectory()) {
      for (const name of readdirSync(path)) visit(join(path, name))
    } else if (/\.(tsx?|json|mjs)$/.test(path)) {
      newest = Math.max(newest, info.mtimeMs)
    }
  }
  for (const name of SOURCES) visit(join(root, name))
  return newest
}

function isFresh() {
  if (!existsSync(entry) || !existsSync(stamp)) return false
  return statSync(stamp).mtimeMs >= newestSource()
}

/** A reason not to run, said in one line by the code at the bottom (after the lock is released). */
class LaunchError extends Error {}

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

/** Holds the build lock (a directory: creating one is atomic), waiting while another juxta builds. */
function withBuildLock(work) {
  mkdirSync(join(root, 'dist'), { recursive: true })
  const deadline = Date.now() + 180_000
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch (err) {
      if (err.code !== 'EEXIST') throw err
      // A build killed half-way leaves its lock behind; none takes minutes.
      const since = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now())
      if (since > 120_000) rmSync(lock, { force: true, recursive: true })
      if (Date.now() > deadline) {
        throw new LaunchError(`another build of dist/ holds ${lock}; remove it if no build is running`)
      }
      sleep(100)
    }
  }
  try {
    return work()
  } finally {
    rmSync(lock, { force: true, recursive: true })
  }
}

/** esbuild, where node would find the package from the checkout. */
function hasEsbuild() {
  try {
    createRequire(join(root, 'package.json')).resolve('esbuild')
    return true
  } catch {
    return false
  }
}

function build() {
  if (!hasEsbuild()) {
    throw new LaunchError(
      `dist/ is missing or out of date and esbuild is not installed to build it: run npm install in ${root}`,
    )
  }
  process.stderr.write('juxta: building dist/ (the sources changed since the last build)…\n')
  const result = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--quiet'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  })
  if (result.status !== 0) {
    process.stderr.write(
      `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? `${result.error.message}\n` : ''}`,
    )
    throw new LaunchError(`the build failed (node scripts/build.mjs in ${root}); fix the errors above`)
  }
}

try {
  if (!isFresh()) withBuildLock(() => isFresh() || build())
} catch (err) {
  process.stderr.write(`juxta: ${err instanceof LaunchError ? err.message : `cannot build dist/: ${err.message}`}\n`)
  process.exit(1)
}
await import(pathToFileURL(entry).href)
