import type { StudyJudgeSummary } from '../src/arena/study-judge.ts'
import { formatUsd } from '../src/pricing/money.ts'

const pct = (x: number) => `${Math.round(x * 100)}%`

/** "1/31 of the cost", "2.4× the cost". */
export function costWords(ratio: number | null): string {
  if (ratio === null) return 'at an unknown cost ratio'
  if (ratio > 0 && ratio < 1) return `at 1/${Math.round(1 / ratio)} of the cost`
  return `at ${ratio.toFixed(ratio >= 10 ? 0 : 1)}× the cost`
}

/** One target's result in words, as the issue puts it. */
export function judgeSentence(t: StudyJudgeSummary['targets'][number], reference: string): string {
  if (t.rate === null || t.ci95 === null) return `${t.target}: no prompt judged against ${reference}`
  return (
    `${t.target}: as good as ${reference} on ${pct(t.rate)} of these prompts ` +
    `(95% CI ${pct(t.ci95[0])}–${pct(t.ci95[1])}, ${t.judged} judged), ${costWords(t.cost_ratio.median)}`
  )
}

/**
 * A finished study's LLM judging: each target's share of prompts where the judge found it at least as good as the
 * reference (both orders per prompt, Wilson interval over prompts), beside the paired cost ratio to the reference.
 */
export function StudyJudgePanel(props: {
  studyId: string
  targets: string[]
  judges: Array<{ target: string; label: string }>
  summary: StudyJudgeSummary | null
  problem?: string
}) {
  const s = props.summary
  return (
    <section class="card study-judge" aria-labelledby="study-judge-title">
      <h2 id="study-judge-title">Judge against a reference</h2>
      {props.problem ? (
        <p class="error" role="alert">
          {props.problem}
        </p>
      ) : (
        ''
      )}
      {s ? (
        <>
          <ul class="judge-sentences">
            {s.targets.map((t) => (
              <li>{judgeSentence(t, s.reference)}.</li>
            ))}
          </ul>
          <p class="muted">
            Judged by {s.judge} on {s.prompts} prompts ({s.calls} calls,{' '}
            {s.cost_usd === null ? 'cost unknown' : formatUsd(s.cost_usd)}, counted in spend). Each prompt's first
            successful answer of each target was compared with the reference's in both orders; a verdict that flips with
            the order is a tie, "as good as" is a win or a tie, prompts without a verdict are left out. Interval:
            Wilson, over the judged prompts. Cost: the study's paired ratio over prompts.
          </p>
        </>
      ) : (
        <p class="muted">Not judged yet.</p>
      )}
      {props.judges.length > 0 && props.targets.length > 1 ? (
        <form
          class="judge-form"
          hx-post={`/studies/${props.studyId}/judge`}
          hx-target="#study-judge"
          hx-swap="innerHTML"
          {...{ 'hx-status:4xx': 'target:#study-judge swap:innerHTML' }}
        >
          <label for="study-judge-target">Judge with</label>
          <select id="study-judge-target" name="judge">
            {props.judges.map((j) => (
              <option value={j.target}>
                {j.label} ({j.target})
              </option>
            ))}
          </select>
          <label for="study-judge-reference">against</label>
          <select id="study-judge-reference" name="reference">
            {props.targets.map((t) => (
              <option value={t} selected={t === s?.reference}>
                {t}
              </option>
            ))}
          </select>
          <button type="submit">Judge</button>
        </form>
      ) : (
        ''
      )}
    </section>
  )
}
