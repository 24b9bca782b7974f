import { SEQ_PER_MS } from '../migrations.ts'
import { type Cursor, searchTerms } from '../run-filter.ts'
import type { RunFilter } from '../types.ts'

export interface PgFilter {
  /** `WHERE …` or '' over `runs r`. */
  where: string
  values: unknown[]
}

/**
 * The PostgreSQL twin of `filterSql`: the same terms (words or "quoted phrases", all required, case- and
 * accent-insensitive substrings) matched with ILIKE on escaped patterns, which the trigram index serves for terms
 * of three characters or more. Periods and cursors are ranges of the time-ordered key, so newest first is a walk
 * of the primary key. Parameters start at `$${first}`; no user text is spliced into the SQL.
 */
export function pgFilterSql(filter: RunFilter, cursor?: Cursor, first = 1): PgFilter {
  const clauses: string[] = []
  const values: unknown[] = []
  const param = (value: unknown) => {
    values.push(value)
    return `$${first + values.length - 1}`
  }
  for (const term of filter.q ? searchTerms(filter.q) : []) {
    // Folded first, escaped after: unaccent maps fullwidth ％ ＿ ＼ to the LIKE wildcards and escape itself.
    const folded = `juxta_fold(${param(term)})`
    const escaped = `replace(replace(replace(${folded}, '\\', '\\\\'), '%', '\\%'), '_', '\\_')`
    clauses.push(`juxta_fold(r.prompt) ILIKE ('%' || ${escaped} || '%')`)
  }
  if (filter.targets && filter.targets.length > 0) {
    clauses.push(
      `EXISTS (SELECT 1 FROM results t WHERE t.run_id = r.id AND t.target = ANY(${param(filter.targets)}::text[]))`,
    )
  }
  if (filter.from) clauses.push(`r.seq >= ${param(filter.from.getTime() * SEQ_PER_MS)}::bigint`)
  if (filter.to) clauses.push(`r.seq < ${param(filter.to.getTime() * SEQ_PER_MS)}::bigint`)
  if (cursor) clauses.push(`r.seq < ${param(cursor.seq)}::bigint`)
  return { where: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', values }
}
