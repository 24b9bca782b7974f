import type { AnswerDiff } from '../src/compare/answer-diff.ts'
import { formatInt } from './format.ts'

export interface DiffColumn {
  label: string
  target: string
}

const optionText = (c: DiffColumn, i: number) => `${i + 1}. ${c.label}${c.label === c.target ? '' : ` (${c.target})`}`

/** "Differences between answers": two selects naming the run's columns and a button; the result comes below. */
export function DiffForm(props: { runId: string; columns: DiffColumn[] }) {
  if (props.columns.length < 2) return null
  const select = (name: 'a' | 'b', label: string, chosen: number) => (
    <label>
      {label}
      <select name={name}>
        {props.columns.map((c, i) => (
          <option value={String(i)} selected={i === chosen}>
            {optionText(c, i)}
          </option>
        ))}
      </select>
    </label>
  )
  return (
    <section class="answer-diff card" aria-labelledby="diff-h">
      <h3 id="diff-h">Differences between answers</h3>
      <form class="toolbar diff-form" hx-get={`/runs/${props.runId}/diff`} hx-target="#diff-result" hx-swap="innerHTML">
        {select('a', 'First answer', 0)}
        {select('b', 'Second answer', 1)}
        <button type="submit">Show differences</button>
      </form>
      <div id="diff-result" aria-live="polite"></div>
    </section>
  )
}

/**
 * The word diff of two answers' Markdown source. Text goes through JSX, so it is escaped; insertions and
 * deletions are underlined / struck through and carry a visually hidden word for screen readers.
 */
export function DiffResult(props: { a: DiffColumn; b: DiffColumn; diff: AnswerDiff }) {
  const d = props.diff
  if (!d.ok) {
    return (
      <p class="diff-message" role="status" data-reason={d.reason}>
        {d.message}
      </p>
    )
  }
  const percent = Math.round(d.similarity * 100)
  return (
    <div class="diff-output">
      <p class="diff-similarity">
        <strong data-similarity={d.similarity.toFixed(4)}>{percent}% similar</strong>{' '}
        <span class="muted">
          (words in common: 2 × {formatInt(d.common)} / ({formatInt(d.wordsA)} + {formatInt(d.wordsB)} words))
        </span>
      </p>
      <p class="diff-legend muted">
        <del>
          <span class="visually-hidden">deleted: </span>struck through
        </del>{' '}
        only in {props.a.label};{' '}
        <ins>
          <span class="visually-hidden">inserted: </span>underlined
        </ins>{' '}
        only in {props.b.label}.
      </p>
      {/* Focusable: a long diff scrolls inside its box, and the keyboard must reach it. */}
      <section class="diff-text" tabindex={0} aria-label={`${props.a.label} compared with ${props.b.label}`}>
        {d.ops.map((op) =>
          op.kind === 'same' ? (
            op.text
          ) : op.kind === 'ins' ? (
            <ins>
              <span class="visually-hidden">inserted: </span>
              {op.text}
            </ins>
          ) : (
            <del>
              <span class="visually-hidden">deleted: </span>
              {op.text}
            </del>
          ),
        )}
      </section>
    </div>
  )
}

export function DiffProblem(props: { message: string }) {
  return (
    <p class="diff-message" role="alert">
      {props.message}
    </p>
  )
}
