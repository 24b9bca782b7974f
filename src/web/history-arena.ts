import type { AppContext } from '../context.ts'
import type { RunListPage } from '../storage/types.ts'
import { HUMAN } from '../arena/types.ts'

/** What history's list shows of a run's blindness and vote. */
export interface HistoryArena {
  /** Blind and not voted on: the row names no target and no per-target figure. */
  hidden: boolean
  blind: boolean
  /** The person's vote in words ("Alpha Quick is best", "tie"), when there is one. */
  vote?: string
  /** Judges that gave verdicts on this run. */
  judges: number
}

/** Blindness and votes of the runs on one page of history (two queries for the whole page). */
export async function historyArena(ctx: AppContext, page: RunListPage): Promise<Map<string, HistoryArena>> {
  const out = new Map<string, HistoryArena>()
  if (!ctx.arena || page.runs.length === 0) return out
  const ids = page.runs.map((r) => r.run_id)
  const blind = await ctx.arena.blindRuns(ids)
  const votes = await ctx.arena.votesOfRuns(ids)
  for (const run of page.runs) {
    const b = blind.get(run.run_id)
    const list = votes.get(run.run_id) ?? []
    const human = list.find((v) => v.source === HUMAN)
    const label = (t: string) => run.targets.find((x) => x.target === t)?.label ?? t
    const vote = human
      ? human.winner === 'tie'
        ? 'tie'
        : human.winner === 'all_bad'
          ? 'all bad'
          : `${label(human.winner)} is best`
      : undefined
    const judges = new Set(list.filter((v) => v.source !== HUMAN).map((v) => v.source)).size
    if (!b && !vote && judges === 0) continue
    out.set(run.run_id, { hidden: b !== undefined && !b.voted, blind: b !== undefined, vote, judges })
  }
  return out
}
