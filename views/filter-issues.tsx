/** The problems of a filter form's query (history, spend, leaderboard), as one alert list. */
export function FilterIssues(props: { issues: ReadonlyArray<{ path: string; message: string }> }) {
  if (props.issues.length === 0) return ''
  return (
    <div class="form-errors" role="alert">
      <ul>
        {props.issues.map((i) => (
          <li>
            {i.path}: {i.message}
          </li>
        ))}
      </ul>
    </div>
  )
}
