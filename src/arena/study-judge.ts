import type { EngineDeps } from '../engine/compare.ts'
import type { RunRecorder } from '../engine/run-service.ts'
import type { StudyExport } from '../studies/types.ts'
import { pairedRatio } from '../stats/paired-ratio.ts'
import { wilsonInterval } from '../stats/wilson.ts'
import { pairOutcome } from './judge.ts'
import { judgeMessages, type Verdict } from './judge-prompt.ts'
import { judgeCalls } from './judge-calls.ts'
import { verdictOf } from './run-judge.ts'
import type { StudyJudgeRecord, StudyJudgement } from './types.ts'

export type { StudyJudgeRecord, StudyJudgement } from './types.ts'

export interface StudyJudgeTarget {
  target: string
  /** Prompts where the judge found the target at least as good as the reference (a win or a tie). */
  as_good: number
  /** Prompts with a verdict (both orders parsed). */
  judged: number
  no_verdict: number
  /** Prompts where the target or the reference has no successful answer: not judged. */
  unanswered: number
  /** as_good / judged; null when nothing was judged. */
  rate: number | null
  /** Wilson 95% interval of `rate` over the judged prompts (each prompt gives one verdict). */
  ci95: [number, number] | null
  /** Paired cost ratio target ÷ reference over prompts (median of per-prompt ratios), as the study computes. */
  cost_ratio: { median: number | null; ci95: [number, number] | null; prompts: number }
}

export interface StudyJudgeSummary {
  judge: string
  reference: string
  created_at: string
  prompts: number
  cost_usd: number | null
  calls: number
  targets: StudyJudgeTarget[]
}

/** Each target's first successful answer per prompt (lowest repeat), by its history run. */
function firstAnswers(study: StudyExport): Map<string, { runId: string }> {
  const out = new Map<string, { runId: string }>()
  const cells = [...study.cells].sort((a, b) => a.repeat - b.repeat)
  for (const c of cells) {
    const key = `${c.prompt_index}\n${c.target}`
    if (c.status === 'ok' && c.run_id && !out.has(key)) out.set(key, { runId: c.run_id })
  }
  return out
}

/**
 * Has `judge` compare, on every prompt, each target's answer with the reference's, in both orders (the first
 * successful repeat of each). A prompt where either side has no answer is not judged; a verdict that flips with
 * the order is a tie; an order without a verdict makes that prompt `no_verdict`.
 */
export async function judgeStudy(
  deps: EngineDeps & { recorder: RunRecorder },
  options: {
    study: StudyExport
    judge: string
    reference: string
    /** The full text of a cell's answer, from its history run. */
    answerOf: (runId: string) => Promise<string | null>
    now?: () => Date
  },
): Promise<StudyJudgeRecord> {
  const { study, judge, reference } = options
  const answers = firstAnswers(study)
  const pairs: Array<{ prompt_index: number; target: string; a: string; b: string }> = []
  for (const i of study.input.prompts.keys()) {
    const ref = answers.get(`${i}\n${reference}`)
    const refText = ref ? await options.answerOf(ref.runId) : null
    for (const target of study.input.targets) {
      if (target === reference) continue
      const mine = answers.get(`${i}\n${target}`)
      const text = mine ? await options.answerOf(mine.runId) : null
      if (text === null || refText === null || !text.trim() || !refText.trim()) continue
      pairs.push({ prompt_index: i, target, a: text, b: refText })
    }
  }
  const prompts = study.input.prompts
  const comparisons = pairs.flatMap((x) => {
    const p = prompts[x.prompt_index]!
    return [
      judgeMessages({ prompt: p.prompt, system: p.system, a: x.a, b: x.b }),
      judgeMessages({ prompt: p.prompt, system: p.system, a: x.b, b: x.a }),
    ]
  })
  const calls = await judgeCalls(deps, {
    judge,
    comparisons,
    describe: (part, parts) => {
      const of = parts > 1 ? ` (${part}/${parts})` : ''
      return `Judge ${judge} on study "${study.study.name}" against ${reference}${of}`
    },
  })
  const judgements = pairs.map((x, k): StudyJudgement => {
    const verdicts: [Verdict | null, Verdict | null] = [
      verdictOf(calls.results[2 * k]),
      verdictOf(calls.results[2 * k + 1]),
    ]
    return {
      prompt_index: x.prompt_index,
      target: x.target,
      verdicts,
      outcome: pairOutcome({ a: x.target, b: reference }, ...verdicts),
      judge_run_id: calls.runIds[2 * k]!,
    }
  })
  return {
    study_id: study.study.study_id,
    judge,
    reference,
    created_at: (options.now?.() ?? new Date()).toISOString(),
    judgements,
    cost_usd: calls.cost_usd,
    calls: calls.results.length,
  }
}

/** Per target: how often it is as good as the reference (Wilson 95%), beside its paired cost ratio to it. */
export function summarizeStudyJudge(record: StudyJudgeRecord, study: StudyExport): StudyJudgeSummary {
  const prompts = study.input.prompts.length
  const costsOf = (target: string) => {
    const m = new Map<string, Array<number | null>>()
    for (const c of study.cells) {
      if (c.target !== target || c.status !== 'ok') continue
      const key = String(c.prompt_index)
      m.set(key, [...(m.get(key) ?? []), c.cost_usd])
    }
    return m
  }
  const reference = costsOf(record.reference)
  const targets = study.input.targets
    .filter((t) => t !== record.reference)
    .map((target): StudyJudgeTarget => {
      const mine = record.judgements.filter((j) => j.target === target)
      const judged = mine.filter((j) => j.outcome !== 'no_verdict')
      const asGood = judged.filter((j) => j.outcome === target || j.outcome === 'tie').length
      const ratio = pairedRatio({ a: costsOf(target), b: reference, seed: `${study.study.study_id}:${target}` })
      return {
        target,
        as_good: asGood,
        judged: judged.length,
        no_verdict: mine.length - judged.length,
        unanswered: prompts - mine.length,
        rate: judged.length ? asGood / judged.length : null,
        ci95: wilsonInterval(asGood, judged.length),
        cost_ratio: { median: ratio.median, ci95: ratio.ci95, prompts: ratio.prompts },
      }
    })
  return {
    judge: record.judge,
    reference: record.reference,
    created_at: record.created_at,
    prompts,
    cost_usd: record.cost_usd,
    calls: record.calls,
    targets,
  }
}
