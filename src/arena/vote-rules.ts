import { z } from 'zod'
import { HUMAN, type Vote } from './types.ts'

/** `POST /api/runs/:id/vote`: a target of the run, `tie` or `all_bad`. */
export const VoteBodySchema = z.strictObject({
  winner: z.string().min(1, 'name a target of the run, "tie" or "all_bad"').max(300),
})

export type VoteCheck = { ok: true; vote: Vote } | { ok: false; message: string }

/**
 * A person's vote on a run: the winner must be one of the run's targets (or `tie` / `all_bad`). `blind` says
 * whether the models were hidden when the vote was cast.
 */
export function humanVote(options: {
  runId: string
  targets: string[]
  winner: string
  blind: boolean
  now?: Date
}): VoteCheck {
  const { targets, winner } = options
  if (new Set(targets).size !== targets.length) {
    return { ok: false, message: 'this run has one target in several columns (a judge run): it compares nothing' }
  }
  if (winner !== 'tie' && winner !== 'all_bad' && !targets.includes(winner)) {
    return { ok: false, message: `"${winner.slice(0, 100)}" is not a target of this run (nor "tie" or "all_bad")` }
  }
  return {
    ok: true,
    vote: {
      run_id: options.runId,
      source: HUMAN,
      targets: [...targets],
      winner,
      blind: options.blind,
      created_at: (options.now ?? new Date()).toISOString(),
    },
  }
}
