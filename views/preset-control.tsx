import type { Preset } from '../src/presets/preset-rules.ts'

/** What the last preset action said: done, a note (a loaded preset's missing targets), or an error. */
export interface PresetStatus {
  kind: 'ok' | 'note' | 'error'
  text: string
}

export interface PresetControlProps {
  presets: ReadonlyArray<Preset>
  /** The preset the select shows. */
  selected?: number
  /** The name field's value (kept after an error). */
  name?: string
  status?: PresetStatus
  /** Rendered for an htmx action: the status takes the focus (a full page load leaves the focus alone). */
  focus?: boolean
}

/**
 * The "Presets" control above the compare form. Load is a plain GET of the compare page (`/?preset=id`), which
 * fills the form server-side; Save as, Rename and Delete post with htmx and re-render this control (422 with
 * the message when a name is empty or taken). Save as also sends the compare form's fields.
 */
export function PresetControl(props: PresetControlProps) {
  return (
    <section id="presets" class="presets" aria-labelledby="presets-h">
      <PresetControlBody {...props} />
    </section>
  )
}

export function PresetControlBody(props: PresetControlProps) {
  const none = props.presets.length === 0
  const status = props.status
  return (
    <>
      <h2 id="presets-h" class="presets-title">
        Presets
      </h2>
      <form class="preset-load" method="get" action="/">
        <label for="preset-select">Preset</label>
        <select id="preset-select" name="preset" disabled={none}>
          {none ? <option value="">No presets yet</option> : ''}
          {props.presets.map((p) => (
            <option value={String(p.id)} selected={p.id === props.selected}>
              {p.name}
            </option>
          ))}
        </select>
        <button type="submit" disabled={none}>
          Load
        </button>
        <button
          type="button"
          class="danger"
          disabled={none}
          hx-post="/presets/delete"
          hx-target="#presets"
          hx-swap="innerHTML"
        >
          Delete
        </button>
      </form>
      <form
        class="preset-save"
        hx-post="/presets/save"
        hx-include="#compare-form"
        hx-target="#presets"
        hx-swap="innerHTML"
      >
        <label for="preset-name">Name</label>
        <input
          id="preset-name"
          name="preset_name"
          type="text"
          maxlength={80}
          value={props.name ?? ''}
          aria-describedby="preset-status"
          aria-invalid={status?.kind === 'error' ? 'true' : undefined}
          data-focus-after-swap={props.focus && status?.kind === 'error' ? true : undefined}
        />
        <button type="submit">Save as…</button>
      </form>
      {/* Outside the form: nothing here should look, to htmx's upgrade-check, like it inherits the form's include. */}
      <button
        type="button"
        disabled={none}
        hx-post="/presets/rename"
        hx-include="#preset-select, #preset-name"
        hx-target="#presets"
        hx-swap="innerHTML"
      >
        Rename
      </button>
      {/* Focused after an action that worked (after an error, the name field is), so it is read out. */}
      <p
        id="preset-status"
        class={`preset-status${status ? ` preset-${status.kind}` : ''}`}
        role={status?.kind === 'error' ? 'alert' : 'status'}
        tabindex={-1}
        data-focus-after-swap={props.focus && status?.kind !== 'error' ? true : undefined}
      >
        {status?.text ?? ''}
      </p>
    </>
  )
}
