import type { JudgeOutcome } from '../src/arena/run-judge.ts'
import { JUDGE_SYSTEM_PROMPT } from '../src/arena/judge-prompt.ts'
import type { Vote } from '../src/arena/types.ts'
import { formatUsd } from '../src/pricing/money.ts'
import { formatMs } from './format.ts'
import { formatWhen } from './history-page.tsx'

export interface ArenaPanelProps {
  runId: string
  /** Blind and not voted on: nothing here may name a target. */
  hidden: boolean
  votes: Vote[]
  /** Targets that can judge (configured, with a key), as value and label. */
  judges: Array<{ target: string; label: string }>
  /** Label of a target, for verdicts. */
  labelOf: (target: string) => string
  /** The judging just done, with its cost and time. */
  outcome?: JudgeOutcome
  /** Why judging did not happen (busy, unknown judge…). */
  problem?: string
}

const OUTCOME_TEXT: Record<string, string> = { tie: 'tie', no_verdict: 'no verdict' }

function winnerText(winner: string, labelOf: (t: string) => string): string {
  return winner === 'tie' ? 'tie' : winner === 'all_bad' ? 'all bad' : `${labelOf(winner)} is best`
}

function outcomeText(outcome: string, labelOf: (t: string) => string): string {
  return OUTCOME_TEXT[outcome] ?? `${labelOf(outcome)} wins`
}

/** The verdicts of one judge on this run, one row per pair. */
function VerdictTable(props: { votes: Vote[]; labelOf: (t: string) => string; caption: string }) {
  return (
    // biome-ignore lint/a11y/useSemanticElements: a scroll box the keyboard can reach, as the summary table's
    <div class="table-scroll" role="region" aria-label={props.caption} tabindex={0}>
      <table class="verdicts">
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Pair (shown first as Answer A)</th>
            <th scope="col">Verdict</th>
            <th scope="col">Swapped order</th>
            <th scope="col">Outcome</th>
          </tr>
        </thead>
        <tbody>
          {props.votes.map((v) => (
            <tr>
              <td>
                {props.labelOf(v.targets[0]!)} vs {props.labelOf(v.targets[1]!)}
              </td>
              <td>{v.detail?.verdicts[0] ?? 'no verdict'}</td>
              <td>{v.detail?.verdicts[1] ?? 'no verdict'}</td>
              <td>{outcomeText(v.winner, props.labelOf)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/**
 * Under a finished run: the votes kept with it, and "Judge with…" (an LLM compares every pair of answers in both
 * orders with the fixed prompt shown here). Shown in full once a blind run has been voted on.
 */
export function ArenaPanel(props: ArenaPanelProps) {
  if (props.hidden) {
    return (
      <section class="arena-panel card" aria-labelledby="arena-title">
        <h3 id="arena-title">Votes and judge</h3>
        <p class="muted">Not voted yet. The LLM judge is offered after your vote: its verdicts name the models.</p>
      </section>
    )
  }
  const human = props.votes.find((v) => v.source === 'human')
  const judges = [...new Set(props.votes.filter((v) => v.source !== 'human').map((v) => v.source))]
  const o = props.outcome
  return (
    <section class="arena-panel card" aria-labelledby="arena-title">
      <h3 id="arena-title">Votes and judge</h3>
      <p>
        {human
          ? `Your vote: ${winnerText(human.winner, props.labelOf)}` +
            ` (${human.blind ? 'blind' : 'not blind'}, ${formatWhen(human.created_at)}).`
          : 'No vote of yours yet.'}
      </p>
      {o ? (
        <p class="judge-cost" role="status">
          Judged by {props.labelOf(o.judge)}: {o.calls} calls in {formatMs(o.elapsed_ms)}, costing{' '}
          {o.cost_usd === null ? 'an unknown amount' : formatUsd(o.cost_usd)}
          {o.cost_unknown > 0 && o.cost_usd !== null ? ` plus ${o.cost_unknown} calls of unknown cost` : ''}, counted in
          spend apart from this run (<a href={`/runs/${o.judge_run_id}`}>the judge's own run</a>).
        </p>
      ) : (
        ''
      )}
      {props.problem ? (
        <p class="error" role="alert">
          {props.problem}
        </p>
      ) : (
        ''
      )}
      {judges.map((source) => (
        <VerdictTable
          votes={props.votes.filter((v) => v.source === source)}
          labelOf={props.labelOf}
          caption={`Verdicts of ${props.labelOf(source.slice('judge:'.length))}`}
        />
      ))}
      {props.judges.length > 0 ? (
        <form
          class="judge-form"
          hx-post={`/runs/${props.runId}/judge`}
          hx-target="#judge"
          hx-swap="innerHTML"
          {...{ 'hx-status:4xx': 'target:#judge swap:innerHTML' }}
        >
          <label for="judge-target">Judge with</label>
          <select id="judge-target" name="judge">
            {props.judges.map((j) => (
              <option value={j.target}>
                {j.label} ({j.target})
              </option>
            ))}
          </select>
          <button type="submit">Judge</button>
          <span class="muted">every pair of answers, both orders; a verdict that flips with the order is a tie</span>
        </form>
      ) : (
        ''
      )}
      <details class="judge-prompt">
        <summary>The judge's prompt</summary>
        <pre tabindex={0}>{JUDGE_SYSTEM_PROMPT}</pre>
        <p class="muted">
          Then the request and the two answers as [Answer A] and [Answer B]. A reply whose last line is not exactly one
          of the three verdict lines is recorded as no verdict.
        </p>
      </details>
    </section>
  )
}
