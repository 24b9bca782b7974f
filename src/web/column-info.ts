import type { AppContext } from '../context.ts'
import type { ColumnInfo } from '../../views/run-view.tsx'

/** How a target's column is titled: its model label and provider name, and whether it is simulated. */
export function columnInfo(ctx: AppContext, target: string): ColumnInfo {
  const entry = ctx.catalog().find(target)
  return {
    target,
    label: entry?.model.label ?? target,
    providerName: entry?.provider.name ?? target.split('/')[0]!,
    simulated: entry?.provider.builtin === 'demo',
  }
}
