import type { EngineDeps } from '../engine/compare.ts'
import type { RunRecorder } from '../engine/run-service.ts'
import type { TargetResult } from '../domain/types.ts'
import { judgePairs, judgeVote, type JudgePair } from './judge.ts'
import { judgeMessages, parseVerdict, type Verdict } from './judge-prompt.ts'
import { judgeCalls } from './judge-calls.ts'
import type { ArenaStore, Vote } from './types.ts'

/** The run being judged: its prompt and each column's target and answer. */
export interface JudgedRun {
  run_id: string
  prompt: string
  system: string | null
  answers: Array<{ target: string; ok: boolean; text: string }>
}

export interface JudgeOutcome {
  judge: string
  /** The judge's own (first) run: its cost and time are its own, counted in spend. */
  judge_run_id: string
  pairs: Array<{ a: string; b: string; verdicts: [Verdict | null, Verdict | null]; outcome: string }>
  /** Sum of the judge calls' known costs; null when none is known. */
  cost_usd: number | null
  /** Judge calls whose cost is unknown (then `cost_usd` is a lower bound). */
  cost_unknown: number
  /** Wall time of the whole judging. */
  elapsed_ms: number
  calls: number
  votes: Vote[]
}

/** A reply's verdict; a failed call has none. */
export const verdictOf = (r: TargetResult | undefined): Verdict | null =>
  r?.status === 'ok' ? parseVerdict(r.text) : null

/**
 * Has `judge` compare every pair of the run's answers in both orders, as runs of its own (recorded like any run,
 * so its cost is in spend, apart from the judged run's), then replaces that judge's votes on the run.
 */
export async function runJudge(
  deps: EngineDeps & { recorder: RunRecorder; arena: ArenaStore },
  options: { run: JudgedRun; judge: string; signal?: AbortSignal; now?: () => number },
): Promise<JudgeOutcome> {
  const { run, judge } = options
  const pairs = judgePairs(run.answers)
  const text = (i: number) => run.answers[i]!.text
  // Comparison 2k shows pair k in its own order, 2k+1 swapped.
  const comparisons = pairs.flatMap((p: JudgePair) => [
    judgeMessages({ prompt: run.prompt, system: run.system, a: text(p.ia), b: text(p.ib) }),
    judgeMessages({ prompt: run.prompt, system: run.system, a: text(p.ib), b: text(p.ia) }),
  ])
  const calls = await judgeCalls(deps, {
    judge,
    comparisons,
    describe: (part, parts) =>
      `Judge ${judge} on run ${run.run_id}: ${pairs.length} pairs, both orders` +
      (parts > 1 ? ` (${part}/${parts})` : ''),
    signal: options.signal,
    now: options.now,
  })
  const votes = pairs.map((pair, k) =>
    judgeVote({
      runId: run.run_id,
      judge,
      pair,
      verdicts: [verdictOf(calls.results[2 * k]), verdictOf(calls.results[2 * k + 1])],
      judgeRunId: calls.runIds[2 * k]!,
      // A judge never sees which model wrote an answer.
      blind: true,
    }),
  )
  await deps.arena.replaceVotes(run.run_id, `judge:${judge}`, votes)
  return {
    judge,
    judge_run_id: calls.runIds[0] ?? '',
    pairs: votes.map((v) => ({
      a: v.targets[0]!,
      b: v.targets[1]!,
      verdicts: v.detail!.verdicts as [Verdict | null, Verdict | null],
      outcome: v.winner,
    })),
    cost_usd: calls.cost_usd,
    cost_unknown: calls.cost_unknown,
    elapsed_ms: calls.elapsed_ms,
    calls: calls.results.length,
    votes,
  }
}
