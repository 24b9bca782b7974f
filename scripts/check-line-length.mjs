// Lists every tracked source line over the house limit (120 characters) and exits 1 if there is one. The
// formatter wraps code but not comments, strings, JSX text or regexes, so this catches what it leaves long.
// Plain JavaScript with no dependencies: `npm run lint` runs it with a bare `node`.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const MAX_LINE_LENGTH = 120

/** A line holding this text may stay long: a URL or a regex literal that cannot be split. Use sparingly. */
export const LINE_LENGTH_OK = 'line-length-ok'

const EXTENSIONS = ['.ts', '.tsx', '.js', '.mjs', '.css']
const ROOTS = ['src/', 'views/', 'tests/', 'bench/', 'scripts/']
const EXCLUDED = ['tests/fixtures/', 'views/assets/vendor/']

/** Whether a repository-relative path is source this check covers. */
export function isCheckedPath(path) {
  return (
    ROOTS.some((root) => path.startsWith(root)) &&
    !EXCLUDED.some((dir) => path.startsWith(dir)) &&
    EXTENSIONS.some((ext) => path.endsWith(ext))
  )
}

/**
 * The lines of `text` longer than `max` characters (Unicode code points, not UTF-16 units), 1-based, skipping
 * lines that carry the `line-length-ok` marker.
 * @param {string} text
 * @param {number} [max]
 * @returns {Array<{ line: number, length: number }>}
 */
export function longLinesIn(text, max = MAX_LINE_LENGTH) {
  const found = []
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    // Cheap test first: a line of at most `max` UTF-16 units has at most `max` code points.
    if (line.length <= max) continue
    const length = [...line].length
    if (length > max && !line.includes(LINE_LENGTH_OK)) found.push({ line: i + 1, length })
  }
  return found
}

/**
 * Every over-long line of the given files, read relative to `root`.
 * @param {string[]} paths
 * @param {{ root?: string, max?: number }} [options]
 * @returns {Array<{ path: string, line: number, length: number }>}
 */
export function findLongLines(paths, { root = process.cwd(), max = MAX_LINE_LENGTH } = {}) {
  return paths.flatMap((path) =>
    longLinesIn(readFileSync(resolve(root, path), 'utf8'), max).map((hit) => ({ path, ...hit })),
  )
}

/** The tracked files this check covers, from `git ls-files` in `root`. */
export function trackedSourceFiles(root = process.cwd()) {
  const out = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' })
  return out.split('\0').filter((path) => path && isCheckedPath(path))
}

/** `path:line: N characters`, the form editors and terminals link to. */
export function formatHit(hit) {
  return `${hit.path}:${hit.line}: ${hit.length} characters`
}

function main() {
  const root = join(fileURLToPath(import.meta.url), '..', '..')
  const hits = findLongLines(trackedSourceFiles(root), { root })
  for (const hit of hits) console.log(formatHit(hit))
  if (hits.length > 0) {
    console.error(
      `${hits.length} line(s) over ${MAX_LINE_LENGTH} characters: rewrap them, or mark a URL or regex that ` +
        `cannot be split with // ${LINE_LENGTH_OK}`,
    )
    process.exitCode = 1
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main()
