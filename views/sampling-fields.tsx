/** The temperature and max tokens inputs of the compare and study forms (empty: the model's default). */
export function SamplingFields(props: {
  ids: { temperature: string; maxTokens: string }
  temperature?: string
  maxTokens?: string
}) {
  return (
    <>
      <label for={props.ids.temperature}>Temperature</label>
      <input
        id={props.ids.temperature}
        name="temperature"
        type="number"
        min="0"
        max="2"
        step="0.1"
        value={props.temperature ?? ''}
        placeholder="model default"
      />
      <label for={props.ids.maxTokens}>Max tokens</label>
      <input
        id={props.ids.maxTokens}
        name="max_tokens"
        type="number"
        min="1"
        step="1"
        value={props.maxTokens ?? ''}
        placeholder="model default"
      />
    </>
  )
}
