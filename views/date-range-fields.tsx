/** The From / To date inputs of the history and spend filters (`from`, `to` as YYYY-MM-DD). */
export function DateRangeFields(props: { from?: string; to?: string }) {
  return (
    <>
      <label>
        From
        <input type="date" name="from" value={props.from ?? ''} />
      </label>
      <label>
        To
        <input type="date" name="to" value={props.to ?? ''} />
      </label>
    </>
  )
}
