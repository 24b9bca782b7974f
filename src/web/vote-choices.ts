import type { ColumnInfo } from '../../views/run-view.tsx'
import type { VoteFormProps } from '../../views/vote-form.tsx'
import { letterOf } from '../arena/letters.ts'
import type { Vote } from '../arena/types.ts'

/**
 * The vote buttons of a run: in a blind run each posts its letter ("a", "b", …; the server maps it to the target
 * it stored), otherwise the target itself.
 */
export function voteFormOf(runId: string, columns: ColumnInfo[], blind: boolean, current?: Vote): VoteFormProps {
  return {
    runId,
    blind,
    choices: columns.map((c, i) =>
      blind ? { value: letterOf(i).toLowerCase(), label: letterOf(i) } : { value: c.target, label: c.label },
    ),
    current: current ? voteWords(current, columns) : undefined,
  }
}

/** A vote in words, by the columns' labels: "Alpha Quick is best", "Tie", "All bad". */
export function voteWords(vote: Pick<Vote, 'winner'>, columns: ColumnInfo[]): string {
  if (vote.winner === 'tie') return 'tie'
  if (vote.winner === 'all_bad') return 'all bad'
  if (vote.winner === 'no_verdict') return 'no verdict'
  const col = columns.find((c) => c.target === vote.winner)
  return `${col?.label ?? vote.winner} is best`
}
