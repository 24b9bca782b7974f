import type { Price } from '../src/config/schema.ts'
import type { KeyStatus } from '../src/providers/types.ts'
import type { ProbeOutcome } from '../src/settings/probe.ts'
import type { LocalServer } from '../src/settings/discovery.ts'
import { FormErrors } from './compare-page.tsx'
import { formatMs } from './format.ts'
import { Layout } from './layout.tsx'

export const KEY_STATUS_TEXT: Record<KeyStatus, string> = {
  env: 'from env',
  config: 'from config',
  stored: 'stored',
  missing: 'missing',
  not_needed: 'not needed',
}

/** Everything a provider card shows. Holds no key: at most a masked hint. */
export interface ProviderCardData {
  id: string
  name: string
  baseURL: string
  source: 'config' | 'custom' | 'builtin'
  models: Array<{ id: string; label: string; price?: Price }>
  keyStatus: KeyStatus
  /** `••••1234` at most. */
  keyHint?: string
  /** Why the key status is what it is, when that needs saying (stored for another origin, unreadable…). */
  keyNote?: string
  /** A key may be typed in: the provider needs one and none comes from env or config. */
  canStoreKey: boolean
  hasStoredKey: boolean
  /** Set when the base URL would be refused at connect time. */
  addressProblem?: string
  /** For custom providers: the edit form's current values. */
  edit?: ProviderFormValues
}

export interface ProviderFormValues {
  id: string
  name: string
  base_url: string
  models: string
  no_key: boolean
  pricing: string
}

const EMPTY_FORM: ProviderFormValues = { id: '', name: '', base_url: '', models: '', no_key: false, pricing: '' }

const errorsTo = (selector: string) => ({
  'hx-status:4xx': `target:${selector} swap:innerHTML`,
  'hx-status:5xx': `target:${selector} swap:innerHTML`,
})

function ModelList(props: { models: ProviderCardData['models'] }) {
  return (
    <ul class="model-list">
      {props.models.map((m) => (
        <li>
          <code>{m.id}</code>
          {m.label !== m.id ? <span class="muted"> {m.label}</span> : ''}
          {m.price ? (
            <span class="muted price">
              {' '}
              · ${m.price.input} in / ${m.price.output} out per 1M
            </span>
          ) : (
            ''
          )}
        </li>
      ))}
    </ul>
  )
}

function KeyForm(props: { p: ProviderCardData }) {
  const { p } = props
  return (
    <form
      class="key-form"
      hx-post={`/settings/providers/${p.id}/key`}
      hx-target={`#provider-${p.id}`}
      hx-swap="outerHTML"
      {...errorsTo(`#errors-${p.id}`)}
    >
      <label for={`key-${p.id}`}>{p.hasStoredKey ? 'Replace the stored key' : 'API key'}</label>
      <div class="inline-fields">
        {/* Write-only: the value is never rendered back, not even after an error. */}
        <input
          id={`key-${p.id}`}
          name="api_key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          maxlength={8192}
          placeholder={p.hasStoredKey ? 'new key' : 'paste the key'}
        />
        <button type="submit">Save key</button>
      </div>
    </form>
  )
}

export function ProviderCard(props: { p: ProviderCardData; notice?: string }) {
  const { p } = props
  return (
    <section
      class="card provider-card"
      id={`provider-${p.id}`}
      data-provider={p.id}
      aria-labelledby={`provider-${p.id}-name`}
    >
      <header class="provider-head">
        <h3 id={`provider-${p.id}-name`}>{p.name}</h3>
        <code class="muted">{p.id}</code>
        <span class="badge">
          {p.source === 'custom' ? 'added here' : p.source === 'builtin' ? 'built in' : 'config file'}
        </span>
        <span class={`badge key-${p.keyStatus}`} data-key-status={p.keyStatus}>
          key {KEY_STATUS_TEXT[p.keyStatus]}
          {p.keyHint ? ` ${p.keyHint}` : ''}
        </span>
      </header>
      {props.notice ? (
        <p class="notice" role="status">
          {props.notice}
        </p>
      ) : (
        ''
      )}
      <dl class="provider-facts">
        <dt>Base URL</dt>
        <dd>
          {p.source === 'builtin' ? (
            <span>served by Juxta itself (simulated, no network)</span>
          ) : (
            <code class="base-url">{p.baseURL}</code>
          )}
        </dd>
        <dt>Models</dt>
        <dd>
          <ModelList models={p.models} />
        </dd>
      </dl>
      {p.keyNote ? <p class="key-note">{p.keyNote}</p> : ''}
      {p.addressProblem ? (
        <p class="form-errors">This base URL {p.addressProblem}; Juxta refuses to connect to it.</p>
      ) : (
        ''
      )}
      <div id={`errors-${p.id}`} class="card-errors"></div>
      {p.canStoreKey ? <KeyForm p={p} /> : ''}
      <div class="card-actions">
        <button
          type="button"
          class="test"
          hx-post={`/settings/providers/${p.id}/test`}
          hx-target={`#test-${p.id}`}
          hx-swap="innerHTML"
          {...errorsTo(`#test-${p.id}`)}
        >
          Test
        </button>
        {p.hasStoredKey ? (
          <button
            type="button"
            class="danger delete-key"
            hx-delete={`/settings/providers/${p.id}/key`}
            hx-target={`#provider-${p.id}`}
            hx-swap="outerHTML"
            {...errorsTo(`#errors-${p.id}`)}
          >
            Delete stored key
          </button>
        ) : (
          ''
        )}
        {p.source === 'custom' ? (
          <button
            type="button"
            class="danger remove-provider"
            hx-delete={`/settings/providers/${p.id}`}
            hx-target="#settings"
            hx-swap="innerHTML"
            {...errorsTo(`#errors-${p.id}`)}
          >
            Remove provider
          </button>
        ) : (
          ''
        )}
        <output id={`test-${p.id}`} class="test-output" aria-live="polite"></output>
      </div>
      {p.edit ? (
        <details class="edit-provider">
          <summary>Edit provider</summary>
          <ProviderFields mode="edit" values={p.edit} />
        </details>
      ) : (
        ''
      )}
    </section>
  )
}

/** The add form and each custom provider's edit form: same fields, same schema as the config file. */
export function ProviderFields(props: { mode: 'add' | 'edit'; values?: ProviderFormValues }) {
  const v = props.values ?? EMPTY_FORM
  const add = props.mode === 'add'
  const f = (name: string) => (add ? `new-${name}` : `edit-${v.id}-${name}`)
  const errors = add ? 'add-errors' : `edit-errors-${v.id}`
  return (
    <form
      class="provider-form"
      id={add ? 'add-provider-form' : `edit-${v.id}`}
      hx-post={add ? '/settings/providers' : `/settings/providers/${v.id}`}
      hx-target="#settings"
      hx-swap="innerHTML"
      {...errorsTo(`#${errors}`)}
    >
      <div class="form-grid">
        {add ? (
          <>
            <label for={f('id')}>Id</label>
            <input
              id={f('id')}
              name="id"
              type="text"
              required
              value={v.id}
              placeholder="my-server"
              aria-describedby="id-hint"
            />
            <span id="id-hint" class="muted hint">
              a-z, 0-9 and "-"; used in targets like <code>my-server/model</code>
            </span>
          </>
        ) : (
          ''
        )}
        <label for={f('name')}>Name</label>
        <input id={f('name')} name="name" type="text" maxlength={100} value={v.name} placeholder="shown in the page" />
        <label for={f('base_url')}>Base URL</label>
        <input
          id={f('base_url')}
          name="base_url"
          type="url"
          required
          value={v.base_url}
          placeholder="http://127.0.0.1:8080/v1"
        />
        <label for={f('models')}>Models</label>
        <textarea
          id={f('models')}
          name="models"
          rows={3}
          aria-describedby={`${f('models')}-hint`}
          placeholder={'llama-3.3-70b\nmy-model 0.5 1.5'}
        >
          {v.models}
        </textarea>
        <span id={`${f('models')}-hint`} class="muted hint">
          One per line: <code>model-id</code>, or <code>model-id input output [cached input]</code> with prices in USD
          per 1M tokens.
        </span>
        <label for={f('pricing')}>Price book</label>
        <input
          id={f('pricing')}
          name="pricing"
          type="text"
          maxlength={100}
          value={v.pricing}
          placeholder="optional: a provider id whose list prices apply, e.g. openai"
        />
        <span></span>
        <label class="check">
          <input type="checkbox" name="no_key" checked={v.no_key} /> needs no API key (local server)
        </label>
        {add ? (
          <>
            <label for="new-api_key">API key</label>
            <input
              id="new-api_key"
              name="api_key"
              type="password"
              autocomplete="off"
              spellcheck={false}
              maxlength={8192}
              placeholder="optional; stored for this base URL's origin only"
            />
          </>
        ) : (
          ''
        )}
      </div>
      <div id={errors}></div>
      <button type="submit" class={add ? 'primary' : ''}>
        {add ? 'Add provider' : 'Save changes'}
      </button>
    </form>
  )
}

export function ProbeResult(props: { outcome: ProbeOutcome; configured: string[] }) {
  const o = props.outcome
  const label = { ok: 'ok', auth_failed: 'auth failed', unreachable: 'unreachable', error: 'error' }[o.status]
  const listed = new Set(o.models)
  const absent = o.status === 'ok' && o.method === 'models' ? props.configured.filter((m) => !listed.has(m)) : []
  return (
    <span class={`test-result test-${o.status}`} data-status={o.status}>
      <strong>{label}</strong> · {formatMs(o.latencyMs)} · {o.message}
      {absent.length > 0 ? <span class="muted"> · not listed: {absent.join(', ')}</span> : ''}
    </span>
  )
}

export function DiscoveryResults(props: {
  servers: LocalServer[]
  known: Record<string, string[]>
  custom: string[]
  suggestId: (s: LocalServer) => string
}) {
  if (props.servers.length === 0)
    return (
      <p class="muted discovery-none">
        No local server answered (looked at Ollama on 127.0.0.1:11434 and every configured provider on this machine or
        network).
      </p>
    )
  return (
    <ul class="discovered">
      {props.servers.map((s) => {
        const known = new Set(s.providerId ? (props.known[s.providerId] ?? []) : [])
        const fresh = s.models.filter((m) => !known.has(m))
        const editable = s.providerId !== undefined && props.custom.includes(s.providerId)
        return (
          <li class="discovered-server" data-base-url={s.baseURL}>
            <p>
              <code>{s.baseURL}</code> answered
              {s.providerId ? (
                <>
                  {' '}
                  (provider <code>{s.providerId}</code>)
                </>
              ) : (
                ''
              )}
              : {s.models.length} model(s)
              {fresh.length < s.models.length ? `, ${s.models.length - fresh.length} already configured` : ''}.
            </p>
            {fresh.length === 0 ? (
              ''
            ) : (
              <form
                hx-post={editable ? `/settings/providers/${s.providerId}/models` : '/settings/providers'}
                hx-target="#settings"
                hx-swap="innerHTML"
                {...errorsTo('#discover-errors')}
              >
                <fieldset class="discovered-models">
                  <legend>{editable ? `Add to ${s.providerId}` : 'Add as a new provider'}</legend>
                  {fresh.map((m) => (
                    <label class="target-option">
                      <input type="checkbox" name="model" value={m} checked /> <code>{m}</code>
                    </label>
                  ))}
                </fieldset>
                {editable ? (
                  ''
                ) : (
                  <>
                    <input type="hidden" name="base_url" value={s.baseURL} />
                    <input type="hidden" name="no_key" value="on" />
                    <label>
                      Id <input type="text" name="id" required value={props.suggestId(s)} />
                    </label>
                  </>
                )}
                <button type="submit">{editable ? 'Add selected models' : 'Add provider'}</button>
              </form>
            )}
          </li>
        )
      })}
    </ul>
  )
}

/** What #settings holds; re-rendered after adding, editing or removing a provider. */
export function SettingsBody(props: { providers: ProviderCardData[]; notice?: string; storage: string }) {
  return (
    <>
      {props.notice ? (
        <p class="notice" role="status">
          {props.notice}
        </p>
      ) : (
        ''
      )}
      <section aria-labelledby="providers-h">
        <h2 id="providers-h">Providers</h2>
        <p class="muted storage-note">{props.storage}</p>
        <div id="provider-list" class="provider-list">
          {props.providers.map((p) => (
            <ProviderCard p={p} />
          ))}
        </div>
      </section>
      <section class="card" aria-labelledby="add-h">
        <h2 id="add-h">Add an OpenAI-compatible provider</h2>
        <ProviderFields mode="add" />
      </section>
      <section class="card" aria-labelledby="discover-h">
        <h2 id="discover-h">Local servers</h2>
        <p class="muted">
          Looks for Ollama on 127.0.0.1:11434 and asks every configured provider on this machine or your network for its
          models.
        </p>
        <button
          type="button"
          id="discover"
          hx-post="/settings/discover"
          hx-target="#discovered"
          hx-swap="innerHTML"
          {...errorsTo('#discovered')}
        >
          Look for local servers
        </button>
        <div id="discover-errors"></div>
        <div id="discovered" aria-live="polite"></div>
      </section>
    </>
  )
}

export function SettingsPage(props: { providers: ProviderCardData[]; storage: string }) {
  return (
    <Layout title="Settings" active="settings">
      <h1 class="page-title">Settings</h1>
      <div id="settings" class="settings">
        <SettingsBody providers={props.providers} storage={props.storage} />
      </div>
    </Layout>
  )
}

export { FormErrors }
