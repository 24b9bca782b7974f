/** One button of the vote: what it posts as `winner` and what it says. */
export interface VoteChoice {
  value: string
  label: string
}

export interface VoteFormProps {
  runId: string
  /** One per answer, in column order ("A is best" in a blind run, "<label> is best" otherwise). */
  choices: VoteChoice[]
  blind: boolean
  /** The human vote stored for this run, as words ("Alpha Quick is best", "Tie"). */
  current?: string
}

/**
 * "Which answer is best?": one submit button per answer plus Tie and All bad. The answer replaces the whole run
 * view (#run), so a blind run is revealed in place.
 */
export function VoteForm(props: VoteFormProps) {
  return (
    <form
      class="vote-form"
      hx-post={`/runs/${props.runId}/vote`}
      hx-target="#run"
      hx-swap="innerHTML"
      aria-labelledby="vote-title"
    >
      <p id="vote-title" class="vote-title">
        {props.blind ? 'Which answer is best? Your vote reveals the models.' : 'Best answer'}
        {props.current ? <span class="badge vote-current">your vote: {props.current}</span> : ''}
      </p>
      <div class="vote-buttons">
        {props.choices.map((c) => (
          <button type="submit" name="winner" value={c.value}>
            {c.label} is best
          </button>
        ))}
        <button type="submit" name="winner" value="tie">
          Tie
        </button>
        <button type="submit" name="winner" value="all_bad">
          All bad
        </button>
      </div>
      <div id="vote-errors"></div>
    </form>
  )
}
