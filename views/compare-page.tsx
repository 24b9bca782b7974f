import type { ProviderEntry } from '../src/providers/types.ts'
import type { Reachability } from '../src/providers/types.ts'
import { Layout } from './layout.tsx'
import { SamplingFields } from './sampling-fields.tsx'
import { FollowUpFormShell } from './run-page-parts.tsx'
import { IMAGE_TYPES, type ImageRef, MAX_IMAGE_BYTES, MAX_IMAGES } from '../src/images/image-data.ts'
import { PresetControl, type PresetControlProps } from './preset-control.tsx'

export interface FormValues {
  prompt?: string
  system?: string
  temperature?: string
  max_tokens?: string
  targets?: string[]
  /** "Run again": the run's images, attached again from history (GET /images/:sha256). */
  images?: ImageRef[]
  /** "Run again" of a blind run: blind again, so the new run does not give the hidden one away. */
  blind?: boolean
}

const KEY_TEXT: Record<string, string> = {
  env: 'key from environment',
  config: 'key from config',
  stored: 'key stored',
  not_needed: 'no key needed',
  missing: 'needs a key',
}

/** Which fold a provider goes in: ready, a local server that does not answer, or one that needs a key. */
type Readiness = 'ready' | 'unreachable' | 'no-key'

function readiness(p: ProviderEntry, reach: Reachability | undefined): Readiness {
  if (p.keyStatus === 'missing') return 'no-key'
  return reach?.reachable === false ? 'unreachable' : 'ready'
}

function ProviderGroup(props: { provider: ProviderEntry; selected: string[]; reach?: Reachability }) {
  const p = props.provider
  const state = readiness(p, props.reach)
  const ready = state === 'ready'
  return (
    <fieldset
      class={`provider ${state}`}
      data-provider={p.id}
      data-reachable={props.reach?.reachable === null || !props.reach ? undefined : String(props.reach.reachable)}
    >
      <legend>
        {p.name} <span class={`badge key-${p.keyStatus}`}>{KEY_TEXT[p.keyStatus]}</span>
        {props.reach?.reachable === true ? <span class="badge reach-ok">running</span> : ''}
        {state === 'no-key' ? (
          <a class="add-key" href={`/settings#provider-${p.id}`}>
            Add key
          </a>
        ) : (
          ''
        )}
      </legend>
      {state === 'unreachable' ? <p class="reach-reason">{props.reach?.reason}</p> : ''}
      {p.models.map((m) => {
        const target = `${p.id}/${m.id}`
        return (
          <label class="target-option">
            <input
              type="checkbox"
              name="targets"
              value={target}
              checked={props.selected.includes(target)}
              disabled={!ready}
            />
            <span>{m.label}</span>
            {m.label !== m.id ? <span class="muted target-model">{m.id}</span> : ''}
          </label>
        )
      })}
    </fieldset>
  )
}

/**
 * The target picker: native checkboxes grouped by provider. Ready providers come first; local servers that
 * do not answer are folded below with the reason and a "check again" button, then those that still need a
 * key, each with a link to add one.
 */
export function TargetPicker(props: {
  providers: ReadonlyArray<ProviderEntry>
  selected: string[]
  /** Reachability of local servers by provider id (see src/providers/reachability.ts). */
  reach?: Record<string, Reachability>
  /** Rendered for "check again": says what the check found (focused, so it is read out) and keeps the fold open. */
  afterCheck?: boolean
  /** The form whose ticked targets "check again" keeps (the compare form unless another page reuses the picker). */
  formId?: string
}) {
  const formId = props.formId ?? 'compare-form'
  const reach = props.reach ?? {}
  const of = (state: Readiness) => props.providers.filter((p) => readiness(p, reach[p.id]) === state)
  const ready = of('ready')
  const unreachable = of('unreachable')
  const waiting = of('no-key')
  return (
    <fieldset class="targets" id="targets">
      <legend>Targets</legend>
      <div class="provider-groups">
        {ready.map((p) => (
          <ProviderGroup provider={p} selected={props.selected} reach={reach[p.id]} />
        ))}
      </div>
      {props.afterCheck ? (
        <p class="recheck-result" tabindex={-1} data-focus-after-swap>
          Checked just now:{' '}
          {unreachable.length === 0
            ? 'every local server answers.'
            : `${unreachable.map((p) => p.name).join(', ')} ` +
              `still ${unreachable.length === 1 ? 'does' : 'do'} not answer.`}
        </p>
      ) : (
        ''
      )}
      {unreachable.length ? (
        <details class="unreachable" open={props.afterCheck}>
          <summary>
            {unreachable.length} local {unreachable.length === 1 ? 'server is' : 'servers are'} not reachable (
            {unreachable.map((p) => p.name).join(', ')})
          </summary>
          <div class="provider-groups">
            {unreachable.map((p) => (
              <ProviderGroup provider={p} selected={props.selected} reach={reach[p.id]} />
            ))}
          </div>
          <button
            type="button"
            class="recheck"
            hx-post="/targets/check"
            hx-include={`#${formId}`}
            hx-vals={formId === 'compare-form' ? undefined : JSON.stringify({ picker_form: formId })}
            hx-target="#targets"
            hx-swap="outerHTML"
          >
            Check again
          </button>
        </details>
      ) : (
        ''
      )}
      {waiting.length ? (
        <details class="needs-key">
          <summary>
            {waiting.length} more {waiting.length === 1 ? 'provider needs' : 'providers need'} an API key (
            {waiting.map((p) => p.name).join(', ')})
          </summary>
          <div class="provider-groups">
            {waiting.map((p) => (
              <ProviderGroup provider={p} selected={props.selected} />
            ))}
          </div>
        </details>
      ) : (
        ''
      )}
    </fieldset>
  )
}

export function FormErrors(props: { issues: Array<{ path: string; message: string }>; title?: string }) {
  if (props.issues.length === 0) return null
  return (
    <div class="form-errors" role="alert">
      <strong>{props.title ?? 'Please fix:'}</strong>
      <ul>
        {props.issues.map((i) => (
          <li>
            {i.path && i.path !== '(root)' ? `${i.path}: ` : ''}
            {i.message}
          </li>
        ))}
      </ul>
    </div>
  )
}

/**
 * Images for vision models: a file picker, drop and paste (app.js keeps the files and posts them with the run as
 * `images`). The picker has no name: the estimate, which posts the form on every change, gets the count only.
 */
function AttachImages(props: { images?: ImageRef[] }) {
  return (
    <div
      class="attach"
      id="attach"
      data-max-images={MAX_IMAGES}
      data-max-bytes={MAX_IMAGE_BYTES}
      data-preload={props.images?.map((i) => i.sha256).join(' ') || undefined}
    >
      <label for="image-picker" class="attach-label">
        Images <span class="muted">(optional: PNG, JPEG, WebP or GIF, up to {MAX_IMAGES}, 5 MiB each)</span>
      </label>
      <input id="image-picker" type="file" accept={IMAGE_TYPES.join(',')} multiple aria-describedby="attach-hint" />
      <span id="attach-hint" class="muted">
        or drop images on the form, or paste them into the prompt
      </span>
      <input type="hidden" name="image_count" id="image-count" value="0" />
      <ul id="attached" class="thumbs attached" aria-label="Attached images" hidden></ul>
      <p id="attach-status" class="attach-status" role="status"></p>
    </div>
  )
}

export function ComparePage(props: {
  providers: ReadonlyArray<ProviderEntry>
  values?: FormValues
  reach?: Record<string, Reachability>
  /** The presets control; absent when the server keeps no presets. */
  presets?: PresetControlProps
}) {
  const v = props.values ?? {}
  return (
    <Layout title="Juxta" active="compare">
      {/* The page's one h1; the navigation already shows where we are, so it is for assistive technology. */}
      <h1 class="visually-hidden">Compare</h1>
      {props.presets ? <PresetControl {...props.presets} /> : ''}
      <form
        id="compare-form"
        class="compare-form"
        // Filled from a preset or "run again": the remembered selection (app.js) must not add targets to it.
        data-restored={props.values ? '1' : undefined}
        hx-post="/runs"
        hx-target="#run"
        hx-swap="innerHTML"
        // Multipart, so attached images (added to the body by app.js) travel as files.
        enctype="multipart/form-data"
        {...{
          'hx-status:422': 'target:#form-errors swap:innerHTML',
          'hx-status:4xx': 'target:#form-errors swap:innerHTML',
          'hx-status:5xx': 'target:#form-errors swap:innerHTML',
        }}
      >
        <div class="prompt-area">
          <label for="prompt">Prompt</label>
          <textarea
            id="prompt"
            name="prompt"
            rows={5}
            required
            placeholder="Ask every selected model the same question…"
            aria-describedby="send-hint"
          >
            {v.prompt ?? ''}
          </textarea>
        </div>
        <AttachImages images={v.images} />
        <details class="options">
          <summary>System prompt and parameters</summary>
          <div class="options-grid">
            <label for="system">System prompt</label>
            <textarea id="system" name="system" rows={2}>
              {v.system ?? ''}
            </textarea>
            <SamplingFields
              ids={{ temperature: 'temperature', maxTokens: 'max_tokens' }}
              temperature={v.temperature}
              maxTokens={v.max_tokens}
            />
          </div>
        </details>
        <TargetPicker providers={props.providers} selected={v.targets ?? []} reach={props.reach} />
        <div class="blind-switch">
          <input
            type="checkbox"
            id="blind"
            name="blind"
            value="1"
            checked={v.blind ? true : undefined}
            aria-describedby="blind-hint"
          />
          <label for="blind">Blind</label>
          <span id="blind-hint" class="muted">
            answers as A, B, C… in a random order; models, figures and the estimate hidden until you vote
          </span>
        </div>
        <div class="send-row">
          <button class="send primary" type="submit">
            Compare
          </button>
          <span id="send-hint" class="muted">
            Ctrl/⌘ + Enter sends
          </span>
        </div>
        <div id="form-errors"></div>
      </form>
      {/* Outside the form: htmx 4 attributes are not inherited, but keeping it apart makes that obvious. */}
      <div
        id="estimate"
        class="estimate"
        hx-post="/estimate"
        hx-trigger="load, change from:#compare-form, input from:#prompt delay:500ms"
        // htmx 4 queues one request and drops the rest while one is in flight: the estimate would keep the form
        // as it was two changes ago. The newest change replaces whatever is in flight.
        hx-sync="this:replace"
        hx-include="#compare-form"
        hx-swap="innerHTML"
      ></div>
      <section id="run" class="run-area" aria-label="Results"></section>
      <FollowUpFormShell />
    </Layout>
  )
}
