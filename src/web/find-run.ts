import type { AppContext } from '../context.ts'
import { RunIdSchema } from '../storage/export-format.ts'
import type { RunDetail } from '../storage/types.ts'
import type { LiveRun, RunRegistry } from './run-registry.ts'

export type FoundRun = { kind: 'live'; run: LiveRun } | { kind: 'stored'; run: RunDetail }

/**
 * A run by id: from the runs this process holds (recent, possibly still streaming), else from history.
 * Null for an id that is not a run id, or a run in neither.
 */
export async function findRun(ctx: AppContext, registry: RunRegistry, id: string): Promise<FoundRun | null> {
  if (!RunIdSchema.safeParse(id).success) return null
  const live = registry.get(id)
  if (live) return { kind: 'live', run: live }
  const stored = await ctx.store?.getRun(id)
  return stored ? { kind: 'stored', run: stored } : null
}
