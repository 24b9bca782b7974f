import type { AppContext } from '../context.ts'
import { HUMAN } from '../arena/types.ts'

/**
 * Whether a run is blind, and whether it is still hidden: a blind run stays hidden until a person votes on it
 * (a judge's verdicts do not reveal it). `letters` are its targets in the order of "Answer A", "B", …
 */
export async function blindState(
  ctx: AppContext,
  runId: string,
): Promise<{ letters: string[]; hidden: boolean } | null> {
  if (!ctx.arena) return null
  const letters = await ctx.arena.blindOf(runId)
  if (!letters) return null
  const votes = await ctx.arena.votesOf(runId)
  return { letters, hidden: !votes.some((v) => v.source === HUMAN) }
}

/** True while the run is blind and nobody has voted: pages and page routes must not name its targets. */
export async function isHidden(ctx: AppContext, runId: string): Promise<boolean> {
  return (await blindState(ctx, runId))?.hidden === true
}
