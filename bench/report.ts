import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'

export type Verdict = 'pass' | 'FAIL' | 'harness-bound' | 'info' | 'not measured'

export interface Row {
  figure: string
  juxta: string
  baseline: string
  /** Juxta minus baseline, where that is the figure's meaning. */
  added: string
  ratio: string
  target: string
  result: Verdict
  note?: string
  /** The same figure's Juxta value in the previous saved run (the regression guard); filled in by run.ts. */
  previous?: string
  data?: Record<string, unknown>
}

export const ms = (v: number | null | undefined, digits = 2) =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : `${v.toFixed(digits)} ms`
export const num = (v: number | null | undefined, digits = 2) =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits)
export const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`
export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`

/** Pass/fail against a threshold, or "harness-bound" when the direct baseline itself misses it. */
export function verdict(ok: boolean, baselineOk = true): Verdict {
  if (ok) return 'pass'
  return baselineOk ? 'FAIL' : 'harness-bound'
}

export function row(r: Partial<Row> & Pick<Row, 'figure' | 'result'>): Row {
  return { juxta: '—', baseline: '—', added: '—', ratio: '—', target: '—', ...r }
}

const COLUMNS: Array<[keyof Row, string]> = [
  ['figure', 'figure'],
  ['juxta', 'Juxta'],
  ['previous', 'previous run'],
  ['baseline', 'baseline'],
  ['added', 'added'],
  ['ratio', 'ratio'],
  ['target', 'target'],
  ['result', 'result'],
]

export function formatTable(rows: Row[]): string {
  const cells = rows.map((r) => COLUMNS.map(([k]) => String(r[k] ?? '')))
  const widths = COLUMNS.map(([, h], i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)))
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`
  const out = [
    line(COLUMNS.map(([, h]) => h)),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...cells.map(line),
  ]
  const notes = rows.filter((r) => r.note).map((r) => `- ${r.figure}: ${r.note}`)
  return [...out, ...(notes.length ? ['', ...notes] : [])].join('\n')
}

/** One JSON file per run, named by its start time (so names sort in run order); committed as the history. */
export function writeResults(dir: string, report: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true })
  const file = resolve(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`)
  return file
}

export interface SavedRun {
  file: string
  date: string
  quick: boolean
  rows: Row[]
}

/**
 * The newest saved run of the same kind (full or quick) that measured at least one of `figures`: the figures
 * today's table is printed beside. Null when there is none (a fresh clone, or the first run of a kind).
 */
export function previousRun(dir: string, quick: boolean, figures: string[]): SavedRun | null {
  let names: string[]
  try {
    names = readdirSync(dir).filter((n) => /^bench-.*\.json$/.test(n))
  } catch {
    return null
  }
  const wanted = new Set(figures)
  for (const name of names.sort().reverse()) {
    try {
      const saved = JSON.parse(readFileSync(resolve(dir, name), 'utf8')) as Partial<SavedRun>
      if (Boolean(saved.quick) !== quick || !Array.isArray(saved.rows)) continue
      if (!saved.rows.some((r) => wanted.has(r.figure))) continue
      return { file: name, date: String(saved.date ?? ''), quick, rows: saved.rows }
    } catch {
      // An unreadable file is skipped, not fatal: the guard is an aid.
    }
  }
  return null
}

/** Fills each row's `previous` with the same figure's Juxta value in `prev` ('—' when it was not measured). */
export function withPrevious(rows: Row[], prev: SavedRun | null): Row[] {
  const before = new Map((prev?.rows ?? []).map((r) => [r.figure, r.juxta]))
  return rows.map((r) => ({ ...r, previous: before.get(r.figure) ?? '—' }))
}
