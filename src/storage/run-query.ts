import { z } from 'zod'
import { decodeCursor } from './run-filter.ts'
import type { RunFilter, RunListQuery, SpendQuery } from './types.ts'

/**
 * Validation of history query strings (API now, pages later). Dates are UTC: `YYYY-MM-DD` or an ISO
 * date-time with offset; a date-only `to` includes that whole day, a date-time `to` includes that instant.
 */

const REPEATABLE = new Set(['target'])

/** Query parameters as one object: empty values dropped (blank form fields), only `target` may repeat. */
export function queryObject(params: Record<string, string[]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [name, values] of Object.entries(params)) {
    const kept = values.filter((v) => v !== '')
    if (kept.length === 0) continue
    out[name] = REPEATABLE.has(name) || kept.length > 1 ? kept : kept[0]!
  }
  return out
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/
const DayOrTime = z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
  error: 'must be a date (YYYY-MM-DD) or an ISO date-time',
})
const fromBound = DayOrTime.transform((s) => new Date(DATE_ONLY.test(s) ? `${s}T00:00:00.000Z` : s))
const toBound = DayOrTime.transform((s) =>
  DATE_ONLY.test(s) ? new Date(Date.parse(`${s}T00:00:00.000Z`) + 86_400_000) : new Date(Date.parse(s) + 1),
)

const Target = z
  .string()
  .max(300)
  .regex(/^[^/\s]+\/\S+$/, 'must be "provider/model"')
const positiveInt = (max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(max))

const periodShape = { from: fromBound.optional(), to: toBound.optional() }
const filterShape = {
  ...periodShape,
  q: z.string().trim().max(500, 'at most 500 characters').optional(),
  target: z.union([Target, z.array(Target).max(16, 'at most 16 targets')]).optional(),
}

function checkPeriod(v: { from?: Date; to?: Date }, ctx: z.RefinementCtx): void {
  if (v.from && v.to && v.from >= v.to) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' })
}

const toFilter = (v: { q?: string; target?: string | string[]; from?: Date; to?: Date }): RunFilter => ({
  q: v.q || undefined,
  targets: v.target === undefined ? undefined : typeof v.target === 'string' ? [v.target] : v.target,
  from: v.from,
  to: v.to,
})

export const runFilterQuerySchema = z
  .strictObject(filterShape)
  .superRefine(checkPeriod)
  .transform((v): RunFilter => toFilter(v))

export const runListQuerySchema = z
  .strictObject({
    ...filterShape,
    limit: positiveInt(200).optional(),
    cursor: z
      .string()
      .max(200)
      .refine((c) => decodeCursor(c) !== null, 'is not a cursor from this list')
      .optional(),
    page: positiveInt(1_000_000).optional(),
  })
  .superRefine((v, ctx) => {
    checkPeriod(v, ctx)
    if (v.cursor && v.page) ctx.addIssue({ code: 'custom', path: ['page'], message: 'use either cursor or page' })
  })
  .transform((v): RunListQuery => ({ ...toFilter(v), limit: v.limit ?? 50, cursor: v.cursor, page: v.page }))

export const spendQuerySchema = z
  .strictObject(periodShape)
  .superRefine(checkPeriod)
  .transform((v): SpendQuery => ({ from: v.from, to: v.to }))
