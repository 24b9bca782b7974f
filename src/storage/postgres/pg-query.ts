import pg from 'pg'

/** A pool or one checked-out connection (inside a transaction). */
export type PgQueryable = pg.Pool | pg.PoolClient

const INT8 = 20
const NUMERIC = 1700

/**
 * How the run store reads numbers: BIGINT (times, keys, counts) as Number, since they stay below 2^53; NUMERIC
 * (pico-dollar costs and their sums, always whole) as BigInt. Per query, so the pool's defaults stay as they are
 * for the other stores.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8) return (value: string) => Number(value)
    if (oid === NUMERIC) return (value: string) => BigInt(value)
    return pg.types.getTypeParser(oid, format)
  }) as pg.CustomTypesConfig['getTypeParser'],
}

export async function rows<R>(db: PgQueryable, text: string, values: unknown[] = []): Promise<R[]> {
  return (await db.query({ text, values, types })).rows as R[]
}

/** The number of rows a write changed. */
export async function changes(db: PgQueryable, text: string, values: unknown[] = []): Promise<number> {
  return (await db.query({ text, values, types })).rowCount ?? 0
}

/** A pico-dollar amount as a parameter (pg cannot send a BigInt). */
export const picoParam = (pico: bigint | number | null) => (pico === null ? null : String(pico))

/**
 * PostgreSQL text cannot hold U+0000 (SQLite can): a model answer containing one would fail every write of its
 * run. It becomes U+FFFD, the replacement character, as an invalid byte would.
 */
export function textParam<T extends string | null>(text: T): T {
  return (text?.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text) as T
}
