import type { JudgeDetail, Vote, VoteSource } from './types.ts'
import type { Verdict } from './judge-prompt.ts'

/** Two answers of a run to compare, by their targets and column indexes. */
export interface JudgePair {
  a: string
  b: string
  /** Column indexes of the run. */
  ia: number
  ib: number
}

/**
 * Every pair of answers worth judging, in column order: both answered (status ok, some text). A failed answer is
 * not judged: it would lose on its error message rather than on its content.
 */
export function judgePairs(answers: Array<{ target: string; ok: boolean }>): JudgePair[] {
  const pairs: JudgePair[] = []
  for (let i = 0; i < answers.length; i++) {
    for (let j = i + 1; j < answers.length; j++) {
      if (answers[i]!.ok && answers[j]!.ok) pairs.push({ a: answers[i]!.target, b: answers[j]!.target, ia: i, ib: j })
    }
  }
  return pairs
}

/**
 * One pair's outcome from its two orders: `first` with `a` shown as Answer A, `second` with `b` shown as Answer A.
 * Both must name the same winner (or both say TIE) to count as that; a verdict that changes with the order is a
 * tie (position bias cancelled, not a preference); either order without a verdict makes the pair `no_verdict`.
 */
export function pairOutcome(pair: Pick<JudgePair, 'a' | 'b'>, first: Verdict | null, second: Verdict | null): string {
  if (first === null || second === null) return 'no_verdict'
  const one = first === 'A' ? pair.a : first === 'B' ? pair.b : 'tie'
  const two = second === 'A' ? pair.b : second === 'B' ? pair.a : 'tie'
  return one === two ? one : 'tie'
}

/** The judge's vote on one pair, as stored (source `judge:<target>`, never mixed with human votes). */
export function judgeVote(options: {
  runId: string
  judge: string
  pair: Pick<JudgePair, 'a' | 'b'>
  verdicts: [Verdict | null, Verdict | null]
  judgeRunId: string
  blind: boolean
  now?: Date
}): Vote {
  const detail: JudgeDetail = { verdicts: options.verdicts, judge_run_id: options.judgeRunId }
  return {
    run_id: options.runId,
    source: `judge:${options.judge}` as VoteSource,
    targets: [options.pair.a, options.pair.b],
    winner: pairOutcome(options.pair, ...options.verdicts),
    blind: options.blind,
    created_at: (options.now ?? new Date()).toISOString(),
    detail,
  }
}
