import { SEQ_PER_MS } from './migrations.ts'
import type { RunFilter } from './types.ts'

export interface SqlFilter {
  /** The FROM clause: `runs r`, joined to the search index when searching. */
  from: string
  /** Newest-first ordering key (`ORDER BY ${key} DESC`): the run key, or the index rowid that equals it. */
  key: string
  /** `WHERE …` or ''. */
  where: string
  params: Record<string, string | number>
}

/** Trigrams index substrings of three characters or more; shorter terms fall back to LIKE. */
const TRIGRAM = 3

/** Words and "quoted phrases" of a search box, in order, without empties or duplicates. */
export function searchTerms(q: string): string[] {
  const terms: string[] = []
  for (const m of q.matchAll(/"([^"]*)"|(\S+)/g)) {
    const term = (m[1] ?? m[2] ?? '').trim()
    if (term && !terms.includes(term)) terms.push(term)
  }
  return terms
}

const ftsPhrase = (term: string) => `"${term.replaceAll('"', '""')}"`
export const likePattern = (term: string) => `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

/**
 * Builds a parameterized query over `runs r`; no user text is ever spliced into the SQL. Run keys follow
 * start time (migration 3), so periods and cursors are key ranges, and a search walks its index newest
 * first and stops at the page size instead of collecting every match.
 */
export function filterSql(filter: RunFilter, cursor?: Cursor): SqlFilter {
  const clauses: string[] = []
  const params: Record<string, string | number> = {}
  const terms = filter.q ? searchTerms(filter.q) : []
  const long = terms.filter((t) => [...t].length >= TRIGRAM)
  const short = terms.filter((t) => [...t].length < TRIGRAM)
  const searching = long.length > 0
  const key = searching ? 'f.rowid' : 'r.seq'
  if (searching) {
    clauses.push('runs_fts MATCH @match')
    params.match = long.map(ftsPhrase).join(' AND ')
  }
  short.forEach((term, i) => {
    clauses.push(`r.prompt LIKE @like${i} ESCAPE '\\'`)
    params[`like${i}`] = likePattern(term)
  })
  if (filter.targets && filter.targets.length > 0) {
    clauses.push(
      'EXISTS (SELECT 1 FROM results t WHERE t.run_id = r.id AND t.target IN (SELECT value FROM json_each(@targets)))',
    )
    params.targets = JSON.stringify(filter.targets)
  }
  if (filter.from) {
    clauses.push(`${key} >= @from`)
    params.from = filter.from.getTime() * SEQ_PER_MS
  }
  if (filter.to) {
    clauses.push(`${key} < @to`)
    params.to = filter.to.getTime() * SEQ_PER_MS
  }
  if (cursor) {
    clauses.push(`${key} < @cursor`)
    params.cursor = cursor.seq
  }
  return {
    from: searching ? 'runs_fts f JOIN runs r ON r.seq = f.rowid' : 'runs r',
    key,
    where: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '',
    params,
  }
}

/** Position after the last run of a page: its key (newest first). */
export interface Cursor {
  seq: number
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.seq])).toString('base64url')
}

export function decodeCursor(text: string): Cursor | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'))
    if (!Array.isArray(value) || value.length !== 1 || !Number.isSafeInteger(value[0])) return null
    return { seq: value[0] as number }
  } catch {
    return null
  }
}
