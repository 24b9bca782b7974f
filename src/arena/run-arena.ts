import type { StoredRun } from '../storage/types.ts'
import type { ArenaStore, RunArena } from './types.ts'

/** A run's blind letters and votes as an export carries them; undefined when it has neither. */
export async function runArenaOf(arena: ArenaStore, runId: string): Promise<RunArena | undefined> {
  const blind = await arena.blindOf(runId)
  const votes = (await arena.votesOf(runId)).map(({ run_id: _run, ...vote }) => vote)
  if (!blind && votes.length === 0) return undefined
  return { ...(blind ? { blind } : {}), ...(votes.length ? { votes } : {}) }
}

/** Exported runs with their arena part added (history exports; runs without votes are unchanged). */
export async function* withArena(runs: AsyncIterable<StoredRun>, arena: ArenaStore | null): AsyncGenerator<StoredRun> {
  for await (const run of runs) {
    const part = arena ? await runArenaOf(arena, run.run_id) : undefined
    yield part ? { ...run, arena: part } : run
  }
}
