import type { EngineDeps } from '../engine/compare.ts'
import { buildRequest, executeRun, type RunRecorder } from '../engine/run-service.ts'
import type { TargetResult } from '../domain/types.ts'
import { picoToUsd, usdToPico } from '../pricing/money.ts'
import { judgePairs, judgeVote, type JudgePair } from './judge.ts'
import { judgeMessages, parseVerdict, type Verdict } from './judge-prompt.ts'
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
  /** The judge's own run (one column per comparison): its cost and time are its own, counted in spend. */
  judge_run_id: string
  pairs: Array<{ a: string; b: string; verdicts: [Verdict | null, Verdict | null]; outcome: string }>
  /** Sum of the judge calls' known costs; null when none is known. */
  cost_usd: number | null
  /** Judge calls whose cost is unknown (then `cost_usd` is a lower bound). */
  cost_unknown: number
  /** Wall time of the whole judging (the calls run in parallel). */
  elapsed_ms: number
  calls: number
  votes: Vote[]
}

/**
 * Has `judge` compare every pair of the run's answers in both orders, as one run of its own (recorded like any
 * run, so its cost is in spend, apart from the judged run's), then replaces that judge's votes on the run.
 */
export async function runJudge(
  deps: EngineDeps & { recorder: RunRecorder; arena: ArenaStore },
  options: { run: JudgedRun; judge: string; signal?: AbortSignal; now?: () => number },
): Promise<JudgeOutcome> {
  const { run, judge } = options
  const now = options.now ?? Date.now
  const pairs = judgePairs(run.answers)
  const text = (i: number) => run.answers[i]!.text
  // Column 2k shows pair k in its own order, column 2k+1 swapped.
  const orders = pairs.flatMap((p: JudgePair) => [
    judgeMessages({ prompt: run.prompt, system: run.system, a: text(p.ia), b: text(p.ib) }),
    judgeMessages({ prompt: run.prompt, system: run.system, a: text(p.ib), b: text(p.ia) }),
  ])
  const request = buildRequest({ prompt: '', targets: [], params: {} })
  request.targets = orders.map((messages) => ({ target: judge, messages }))
  const started = now()
  const meta = {
    prompt: `Judge ${judge} on run ${run.run_id}: ${pairs.length} pairs, both orders`,
    system: null,
    parent_id: null,
  }
  const results: TargetResult[] =
    orders.length > 0
      ? (await executeRun(deps, request, meta, { signal: options.signal ?? new AbortController().signal })).results
      : []
  const elapsed = now() - started
  const verdictOf = (r: TargetResult | undefined): Verdict | null => (r?.status === 'ok' ? parseVerdict(r.text) : null)
  const votes = pairs.map((pair, k) =>
    judgeVote({
      runId: run.run_id,
      judge,
      pair,
      verdicts: [verdictOf(results[2 * k]), verdictOf(results[2 * k + 1])],
      judgeRunId: request.run_id,
      // A judge never sees which model wrote an answer.
      blind: true,
    }),
  )
  await deps.arena.replaceVotes(run.run_id, `judge:${judge}`, votes)
  let pico = 0n
  let known = 0
  for (const r of results) {
    if (r.cost.total_usd === null) continue
    pico += usdToPico(r.cost.total_usd)
    known++
  }
  return {
    judge,
    judge_run_id: request.run_id,
    pairs: votes.map((v) => ({
      a: v.targets[0]!,
      b: v.targets[1]!,
      verdicts: v.detail!.verdicts as [Verdict | null, Verdict | null],
      outcome: v.winner,
    })),
    cost_usd: known > 0 ? picoToUsd(pico) : null,
    cost_unknown: results.length - known,
    elapsed_ms: elapsed,
    calls: results.length,
    votes,
  }
}
