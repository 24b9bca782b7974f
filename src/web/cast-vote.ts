import type { AppContext } from '../context.ts'
import { HUMAN, type Vote } from '../arena/types.ts'
import { humanVote } from '../arena/vote-rules.ts'
import { indexOfLetter } from '../arena/letters.ts'
import { blindState } from './blind-state.ts'
import { findRun } from './find-run.ts'
import type { RunRegistry } from './run-registry.ts'

export type CastOutcome =
  | { status: 'ok'; vote: Vote }
  | { status: 'not-found' | 'running' | 'no-store' }
  | { status: 'invalid'; message: string }

/**
 * Stores a person's vote on a run of this process or of history, replacing an earlier one. `letters`: the page
 * of a blind run posts "a", "b", …, which only the server maps to targets.
 */
export async function castVote(
  ctx: AppContext,
  registry: RunRegistry,
  options: { runId: string; winner: string; letters?: boolean },
): Promise<CastOutcome> {
  if (!ctx.arena) return { status: 'no-store' }
  const found = await findRun(ctx, registry, options.runId)
  if (!found) return { status: 'not-found' }
  const running = found.kind === 'live' ? !found.run.done : found.run.status === 'running'
  if (running) return { status: 'running' }
  const targets = found.kind === 'live' ? found.run.request.targets.map((t) => t.target) : found.run.targets
  const blind = await blindState(ctx, options.runId)
  let winner = options.winner
  if (options.letters && /^[a-z]{1,2}$/.test(winner)) {
    winner = targets[indexOfLetter(winner) ?? -1] ?? winner
  }
  const checked = humanVote({ runId: options.runId, targets, winner, blind: blind?.hidden === true })
  if (!checked.ok) return { status: 'invalid', message: checked.message }
  await ctx.arena.replaceVotes(options.runId, HUMAN, [checked.vote])
  return { status: 'ok', vote: checked.vote }
}
