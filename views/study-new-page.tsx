import type { ProviderEntry, Reachability } from '../src/providers/types.ts'
import type { RunListItem } from '../src/storage/types.ts'
import type { StudyEstimate } from '../src/studies/types.ts'
import { DEFAULT_CONCURRENCY, MAX_CONCURRENCY, MAX_REPEATS } from '../src/studies/types.ts'
import { formatUsd } from '../src/pricing/money.ts'
import { Layout } from './layout.tsx'
import { SamplingFields } from './sampling-fields.tsx'
import { FormErrors, TargetPicker } from './compare-page.tsx'
import { formatInt } from './format.ts'
import { formatWhen } from './history-page.tsx'

/** What the new-study form holds, as typed: kept when the form comes back with a problem. */
export interface StudyFormValues {
  name?: string
  prompts?: string
  system?: string
  targets?: string[]
  repeats?: string
  concurrency?: string
  temperature?: string
  max_tokens?: string
  max_usd?: string
  /** Runs picked from history (their prompts join the study). */
  history?: string[]
}

export const STUDY_FORM_ID = 'study-form'

/** A run offered in the history picker: its list line. */
export type HistoryPick = Pick<RunListItem, 'run_id' | 'created_at' | 'prompt' | 'prompt_truncated'>

/**
 * Recent runs to take prompts from, with the ones already picked first (kept ticked across searches). Each is a
 * checkbox named `history`; the search box above re-renders this list.
 */
export function HistoryPicks(props: { picked: HistoryPick[]; found: HistoryPick[]; q?: string }) {
  const pickedIds = new Set(props.picked.map((r) => r.run_id))
  const runs = [...props.picked, ...props.found.filter((r) => !pickedIds.has(r.run_id))]
  return (
    <div id="history-picks" class="history-picks">
      {runs.length === 0 ? (
        <p class="muted">{props.q ? 'No run in history matches.' : 'No runs in history yet.'}</p>
      ) : (
        <ul>
          {runs.map((r) => (
            <li>
              <label class="pick">
                <input type="checkbox" name="history" value={r.run_id} checked={pickedIds.has(r.run_id)} />
                <span>
                  {r.prompt}
                  {r.prompt_truncated ? '…' : ''}
                </span>
                <span class="muted"> {formatWhen(r.created_at)}</span>
              </label>
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}

/** The estimate before starting: cells and the low–high cost, and whether the budget refuses it. */
export function StudyEstimateView(props: {
  estimate?: StudyEstimate
  maxUsd?: number
  issues?: Array<{ path: string; message: string }>
  hint?: string
}) {
  if (props.issues?.length) return <FormErrors title="Cannot estimate yet:" issues={props.issues} />
  const e = props.estimate
  if (!e) return <p class="muted">{props.hint ?? 'Estimate shows the cost range before anything starts.'}</p>
  const range = e.low_usd === null ? 'unknown' : `${formatUsd(e.low_usd)} – ${formatUsd(e.high_usd)}`
  const over = props.maxUsd !== undefined && e.low_usd !== null && e.low_usd > props.maxUsd
  return (
    <div class="study-estimate-result">
      <p>
        <strong>{formatInt(e.cells)}</strong> {e.cells === 1 ? 'cell' : 'cells'}, estimated cost{' '}
        <strong>{range}</strong>
        {e.unknown_targets.length ? (
          <span class="muted"> (no price for {e.unknown_targets.join(', ')}: not in the range)</span>
        ) : (
          ''
        )}
      </p>
      {over ? (
        <p class="form-errors" role="alert">
          Above the budget of {formatUsd(props.maxUsd)}: the study would not start. Raise the budget or run fewer cells.
        </p>
      ) : props.maxUsd !== undefined ? (
        <p class="muted">
          {e.high_usd !== null && e.high_usd > props.maxUsd
            ? `It may cost more than the budget of ${formatUsd(props.maxUsd)}: cells stop starting once it is spent.`
            : `Within the budget of ${formatUsd(props.maxUsd)}; cells stop starting once it is spent.`}
        </p>
      ) : (
        ''
      )}
    </div>
  )
}

export function StudyNewPage(props: {
  providers: ReadonlyArray<ProviderEntry>
  reach?: Record<string, Reachability>
  values?: StudyFormValues
  issues?: Array<{ path: string; message: string }>
  history: { picked: HistoryPick[]; found: HistoryPick[] }
}) {
  const v = props.values ?? {}
  return (
    <Layout title="New study" active="studies">
      <nav class="breadcrumbs" aria-label="Breadcrumb">
        <a href="/studies">Studies</a> › New
      </nav>
      <h1>New study</h1>
      <form
        id={STUDY_FORM_ID}
        class="study-form"
        method="post"
        action="/studies"
        enctype="multipart/form-data"
        aria-describedby={props.issues?.length ? 'study-form-errors' : undefined}
      >
        <div id="study-form-errors">
          <FormErrors title="Not started:" issues={props.issues ?? []} />
        </div>
        <div class="card">
          <label for="study-name">Name</label>
          <input id="study-name" name="name" type="text" maxlength={200} value={v.name ?? ''} placeholder="optional" />
        </div>
        <fieldset class="card prompt-sources">
          <legend>Prompts</legend>
          <label for="study-prompts">Paste prompts, one per line</label>
          <textarea id="study-prompts" name="prompts" rows={6}>
            {v.prompts ?? ''}
          </textarea>
          <label for="study-file">
            or upload a file <span class="muted">(.csv or .jsonl with prompt, optional system and expected; .txt)</span>
          </label>
          <input id="study-file" name="file" type="file" accept=".csv,.jsonl,.ndjson,.txt,text/csv,text/plain" />
          <details class="from-history" open={v.history?.length ? true : undefined}>
            <summary>or pick prompts of runs from history</summary>
            <label for="history-q">Search prompts</label>
            <input
              id="history-q"
              type="search"
              name="history_q"
              placeholder="words or &quot;a phrase&quot;"
              hx-get="/studies/new/history"
              hx-trigger="input changed delay:300ms, search"
              // The newest search replaces one in flight (htmx 4 would otherwise drop it and show stale results).
              hx-sync="this:replace"
              hx-include="#history-q, #history-picks input:checked"
              hx-target="#history-picks"
              hx-swap="outerHTML"
            />
            <HistoryPicks picked={props.history.picked} found={props.history.found} />
          </details>
          <label for="study-system">
            System prompt <span class="muted">(optional, for every prompt that has none of its own)</span>
          </label>
          <textarea id="study-system" name="system" rows={2}>
            {v.system ?? ''}
          </textarea>
        </fieldset>
        <TargetPicker
          providers={props.providers}
          selected={v.targets ?? []}
          reach={props.reach}
          formId={STUDY_FORM_ID}
        />
        <fieldset class="card options-grid study-options">
          <legend>Runs and limits</legend>
          <label for="study-repeats">Repeats (1–{MAX_REPEATS})</label>
          <input
            id="study-repeats"
            name="repeats"
            type="number"
            min="1"
            max={MAX_REPEATS}
            step="1"
            value={v.repeats ?? '1'}
          />
          <label for="study-concurrency">Requests at once per provider</label>
          <input
            id="study-concurrency"
            name="concurrency"
            type="number"
            min="1"
            max={MAX_CONCURRENCY}
            step="1"
            value={v.concurrency ?? String(DEFAULT_CONCURRENCY)}
          />
          <SamplingFields
            ids={{ temperature: 'study-temperature', maxTokens: 'study-max-tokens' }}
            temperature={v.temperature}
            maxTokens={v.max_tokens}
          />
          <label for="study-max-usd">Budget (USD)</label>
          <input
            id="study-max-usd"
            name="max_usd"
            type="number"
            min="0"
            step="any"
            value={v.max_usd ?? ''}
            placeholder="no limit"
          />
        </fieldset>
        <div class="send-row">
          <button type="button" hx-post="/studies/estimate" hx-target="#study-estimate" hx-swap="innerHTML">
            Estimate
          </button>
          <button type="submit" class="primary">
            Start study
          </button>
        </div>
        <div id="study-estimate" class="estimate" aria-live="polite">
          <StudyEstimateView />
        </div>
      </form>
    </Layout>
  )
}
