import type { AppContext } from '../context.ts'
import type { ColumnInfo } from '../../views/run-view.tsx'
import { letterOf } from '../arena/letters.ts'

/** How a target's column is titled: its model label and provider name, and whether it is simulated. */
export function columnInfo(ctx: AppContext, target: string, options: { images?: number } = {}): ColumnInfo {
  const entry = ctx.catalog().find(target)
  const info: ColumnInfo = {
    target,
    label: entry?.model.label ?? target,
    providerName: entry?.provider.name ?? target.split('/')[0]!,
    simulated: entry?.provider.builtin === 'demo',
  }
  // A run with images reaches models whose support is not declared (`vision` unset): say so where they answer.
  if (options.images && entry && entry.model.vision === undefined) {
    info.note = 'Image support not declared for this model (vision in config): it may ignore or refuse the images.'
  }
  return info
}

/**
 * A result's column heading: the label stored with it, else the configured model's label, else the target id.
 * One rule for live runs, stored ones, copies and diffs (an imported run may carry an empty label).
 */
export function columnLabel(ctx: AppContext, target: string, stored?: string | null): string {
  return stored || columnInfo(ctx, target).label
}

/** The column of a blind run before the vote: "Answer A", nothing that names the target. */
export function blindColumn(index: number): ColumnInfo {
  return { target: '', label: `Answer ${letterOf(index)}`, providerName: '', simulated: false, blind: true }
}
