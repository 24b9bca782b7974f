import { mkdirSync, writeFileSync } from 'node:fs'
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

export function writeResults(dir: string, report: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true })
  const file = resolve(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`)
  writeFileSync(resolve(dir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`)
  return file
}
