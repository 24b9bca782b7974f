import type { LoadedConfig } from '../config/load.ts'
import { type ProviderConfig, ProviderSchema } from '../config/schema.ts'
import { type KeyStore, KeyStoreError, type StoredKeyState } from '../keys/key-store.ts'
import type { Catalog } from '../providers/catalog.ts'
import type { ProviderEntry } from '../providers/types.ts'
import { originOf, urlProblem } from '../security/base-url.ts'
import { type CustomProviderStore, type Issue, ProviderFileError, validateCustomProvider } from './custom-providers.ts'
import { type LocalServer, OLLAMA_ORIGIN } from './discovery.ts'
import { type FormBody, readProviderForm } from './provider-form.ts'
import type { SettingsBus, SettingsTopic } from './settings-bus.ts'

const ApiKeySchema = ProviderSchema.shape.api_key.unwrap()

/** What a settings change did: a notice for the person, or the problems and the HTTP status that fits them. */
export type SettingsOutcome =
  | { ok: true; notice: string }
  | { ok: false; status: 400 | 404 | 409 | 422 | 500 | 503; issues: Issue[] }

export type ProviderSource = 'builtin' | 'config' | 'custom'

/** How a provider's key stands, as the settings page explains it. */
export interface KeyView {
  note?: string
  canStoreKey: boolean
  hasStoredKey: boolean
}

export interface ProviderSettingsDeps {
  config: LoadedConfig
  catalog: () => Catalog
  keys: KeyStore
  customProviders: CustomProviderStore
  /** Rebuilds the catalog after a change; takes effect for the next request. */
  reconfigure: () => void
  /** Tells the other instances (if any) what changed, once it is written. */
  settingsBus: SettingsBus
  log: (line: string) => void
}

type Topic = Exclude<SettingsTopic, 'all'>

const fail = (status: 400 | 404 | 409 | 422 | 500 | 503, message: string, path = ''): SettingsOutcome => ({
  ok: false,
  status,
  issues: [{ path, message }],
})
const NO_SUCH_PROVIDER = () => fail(404, 'no such provider')

/**
 * The rules of the settings page: key precedence (environment, then config file, then stored), where keys may go,
 * which providers may be edited, undoing a change whose file write failed, and ids for discovered servers. Routes
 * parse the form, call one method and render its outcome.
 */
export class ProviderSettings {
  constructor(private readonly deps: ProviderSettingsDeps) {}

  sourceOf(p: ProviderEntry): ProviderSource {
    if (p.builtin) return 'builtin'
    return p.id in this.deps.config.config.providers ? 'config' : 'custom'
  }

  /** The key's status line: a key from the environment or the config file wins over a stored one. */
  keyView(p: ProviderEntry): KeyView {
    const stored: StoredKeyState =
      this.sourceOf(p) === 'builtin' ? { kind: 'none' } : this.deps.keys.state(p.id, p.baseURL)
    let note: string | undefined
    if (stored.kind === 'other-origin') {
      note =
        `A key is stored for ${stored.origin}; it is never sent to ${originOf(p.baseURL) ?? 'this base URL'}. ` +
        'Enter the key again for this address, or delete the old one.'
    } else if (stored.kind === 'unreadable') {
      note =
        'A stored key cannot be decrypted with the current JUXTA_SECRET. Enter it again, or restore the secret it ' +
        'was saved with.'
    } else if (stored.kind === 'stored' && (p.keyStatus === 'env' || p.keyStatus === 'config')) {
      note = `A stored key exists, but the key from the ${keySourceName(p.keyStatus)} takes precedence.`
    }
    return {
      note,
      canStoreKey: p.keyStatus === 'missing' || p.keyStatus === 'stored',
      hasStoredKey: stored.kind !== 'none',
    }
  }

  /** Where keys typed in the page are kept, in the words shown beside the key fields. */
  storageNote(): string {
    const { keys } = this.deps
    if (keys.storage === 'database') {
      return keys.encrypted
        ? 'Keys typed here are stored in the database, encrypted with JUXTA_SECRET (AES-256-GCM), used by every ' +
            'Juxta instance at once, and never shown again. Keys from the environment or the config file take ' +
            'precedence and are never written by Juxta.'
        : 'Keys cannot be stored here: the database keeps keys only encrypted, so set JUXTA_SECRET first.'
    }
    if (keys.path === null) {
      return 'Keys typed here are kept in memory only and are gone after a restart. They are never shown again.'
    }
    const precedence = 'Keys from the environment or the config file take precedence and are never written by Juxta.'
    if (keys.encrypted) {
      return (
        'Keys typed here are stored in the data directory, encrypted with JUXTA_SECRET (AES-256-GCM), and are ' +
        `never shown again. ${precedence}`
      )
    }
    return (
      'Keys typed here are stored in the data directory in a file only your user can read (mode 600), not ' +
      `encrypted: set JUXTA_SECRET to encrypt them. They are never shown again. ${precedence}`
    )
  }

  /** A provider added in the page, or why it cannot be edited here. */
  editable(id: string): { ok: true; existing: ProviderConfig } | { ok: false; outcome: SettingsOutcome } {
    const existing = this.deps.customProviders.get(id)
    if (existing) return { ok: true, existing }
    const outcome = this.deps.catalog().provider(id)
      ? fail(409, 'providers from the config file are changed in the config file')
      : NO_SUCH_PROVIDER()
    return { ok: false, outcome }
  }

  async addProvider(form: FormBody): Promise<SettingsOutcome> {
    const f = readProviderForm(form)
    const issues = [...f.issues]
    if (f.id && (this.deps.catalog().provider(f.id) || this.deps.customProviders.has(f.id))) {
      issues.push({ path: 'id', message: `"${f.id}" is already used by another provider` })
    }
    const checked = validateCustomProvider(f.id, f.raw)
    if (!checked.ok) issues.push(...checked.issues)
    let key: string | undefined
    if (f.apiKey) {
      const k = checkKey(f.apiKey)
      if (k.ok) key = k.key
      else issues.push(k.issue)
    }
    if (issues.length > 0 || !checked.ok) return { ok: false, status: 422, issues: onePerField(issues) }
    const provider = checked.value
    return this.save(
      ['providers', 'keys'],
      async () => {
        await this.deps.customProviders.put(f.id, provider)
        try {
          await this.deps.keys.delete(f.id) // a key left by an earlier provider of that id is not inherited
          if (key !== undefined && provider.requires_key !== false)
            await this.deps.keys.set(f.id, provider.base_url!, key)
        } catch (err) {
          await this.deps.customProviders.remove(f.id)
          throw err
        }
      },
      () => {
        this.deps.log(`settings: added provider ${f.id}`)
        return `Added ${f.id}.`
      },
    )
  }

  async editProvider(id: string, form: FormBody): Promise<SettingsOutcome> {
    const editing = this.editable(id)
    if (!editing.ok) return editing.outcome
    const f = readProviderForm(form)
    const checked = validateCustomProvider(id, f.raw)
    if (f.issues.length > 0 || !checked.ok) {
      return { ok: false, status: 422, issues: onePerField([...f.issues, ...(checked.ok ? [] : checked.issues)]) }
    }
    const before = originOf(editing.existing.base_url ?? '')
    const after = checked.value.base_url!
    let dropped = false
    return this.save(
      ['providers', 'keys'],
      async () => {
        await this.deps.customProviders.put(id, checked.value)
        // A key saved for one origin never follows the provider to another (and is never sent there even if
        // this delete failed: the store hands keys out only for the origin they were saved for).
        dropped = await this.deps.keys.dropIfMoved(id, after)
      },
      () => {
        this.deps.log(
          `settings: changed provider ${id}${dropped ? ' (base URL moved to another origin; stored key deleted)' : ''}`,
        )
        return dropped
          ? `Saved ${id}. Its base URL moved from ${before} to ${originOf(after)}, so the stored key was deleted: ` +
              'enter the key again.'
          : `Saved ${id}.`
      },
    )
  }

  async addModels(id: string, picked: string[]): Promise<SettingsOutcome> {
    const editing = this.editable(id)
    if (!editing.ok) return editing.outcome
    const { existing } = editing
    const have = new Set(existing.models.map((m) => (typeof m === 'string' ? m : m.id)))
    const models = [...existing.models, ...picked.filter((m) => !have.has(m))]
    const checked = validateCustomProvider(id, { ...existing, models })
    if (!checked.ok) return { ok: false, status: 422, issues: checked.issues }
    return this.save(
      ['providers'],
      () => this.deps.customProviders.put(id, checked.value),
      () => `Added ${checked.value.models.length - existing.models.length} model(s) to ${id}.`,
    )
  }

  async removeProvider(id: string): Promise<SettingsOutcome> {
    if (!this.deps.customProviders.has(id)) {
      return this.deps.catalog().provider(id)
        ? fail(409, 'providers from the config file are removed in the config file')
        : NO_SUCH_PROVIDER()
    }
    return this.save(
      ['providers', 'keys'],
      async () => {
        await this.deps.customProviders.remove(id)
        await this.deps.keys.delete(id)
      },
      () => {
        this.deps.log(`settings: removed provider ${id}`)
        return `Removed ${id} and its stored key.`
      },
    )
  }

  /** Why no key can be stored for this provider (unknown, needs none, a key from elsewhere wins), or null. */
  keyRefusal(id: string): SettingsOutcome | null {
    const p = this.deps.catalog().provider(id)
    if (!p) return NO_SUCH_PROVIDER()
    if (p.builtin || p.keyStatus === 'not_needed') return fail(409, 'this provider needs no key')
    if (p.keyStatus === 'env' || p.keyStatus === 'config') {
      return fail(
        409,
        `this provider's key comes from the ${keySourceName(p.keyStatus)}, which takes precedence; change it there`,
      )
    }
    const address = urlProblem(p.baseURL)
    return address ? fail(422, `${address}; no key is stored for it`, 'base_url') : null
  }

  /** Stores a key typed in the page, unless a key from the environment or the config file takes precedence. */
  async storeKey(id: string, raw: string): Promise<SettingsOutcome> {
    const refused = this.keyRefusal(id)
    if (refused) return refused
    const baseURL = this.deps.catalog().provider(id)!.baseURL
    const k = checkKey(raw)
    if (!k.ok) return { ok: false, status: 422, issues: [k.issue] }
    return this.save(
      ['keys'],
      () => this.deps.keys.set(id, baseURL, k.key),
      () => {
        this.deps.log(`settings: stored a key for ${id}`)
        return 'Key saved.'
      },
    )
  }

  async deleteKey(id: string): Promise<SettingsOutcome> {
    if (!this.deps.catalog().provider(id)) return NO_SUCH_PROVIDER()
    let had = false
    return this.save(
      ['keys'],
      async () => {
        had = await this.deps.keys.delete(id)
      },
      () => {
        if (had) this.deps.log(`settings: deleted the stored key for ${id}`)
        return had ? 'Stored key deleted.' : 'No key was stored.'
      },
    )
  }

  /** A free provider id for a server found by discovery: `ollama-local`, `lmstudio-local-2`, ... */
  suggestId(server: LocalServer): string {
    const base = server.providerId
      ? `${server.providerId}-local`
      : originOf(server.baseURL) === OLLAMA_ORIGIN
        ? 'ollama-local'
        : `local-${new URL(server.baseURL).port || 'server'}`
    let id = base.slice(0, 36)
    for (let n = 2; this.deps.catalog().provider(id); n++) id = `${base.slice(0, 36)}-${n}`
    return id
  }

  /**
   * Runs a change to the key or provider store, rebuilds the catalog, then tells the other instances. Each store
   * keeps its change only once written, so a failed save leaves both stores and the catalog as they were.
   * Every settings change goes through here.
   */
  private async save(topics: Topic[], change: () => Promise<unknown>, done: () => string): Promise<SettingsOutcome> {
    try {
      await change()
    } catch (err) {
      // A refusal (no JUXTA_SECRET for the database) or a change racing another instance's: said as it is.
      if (err instanceof KeyStoreError || err instanceof ProviderFileError) return fail(409, err.message)
      const code = (err as NodeJS.ErrnoException).code ?? 'error'
      if (this.deps.keys.storage === 'database') {
        this.deps.log(`settings: could not write to the database (${code})`)
        return fail(503, `could not write to the database (${code}); nothing was changed, try again when it is back`)
      }
      this.deps.log(`settings: could not write to the data directory (${code})`)
      return fail(
        500,
        `could not write to the data directory (${code}); check that it exists and is writable, then try again`,
      )
    }
    this.deps.reconfigure()
    // Written already: an instance that misses this reloads everything when its Redis connection returns.
    await this.deps.settingsBus.publish(topics).catch((err: Error) => {
      this.deps.log(
        `settings: could not tell the other instances about a ${topics.join(' and ')} change (${err.message})`,
      )
    })
    return { ok: true, notice: done() }
  }
}

/**
 * One message per field, the first (the form's own reading before the schema's): a bad URL gets one line, not
 * two, and a models list that is empty only because its lines could not be read is not also "empty".
 */
function onePerField(issues: Issue[]): Issue[] {
  const linesFailed = issues.some((i) => i.path.startsWith('models line'))
  const seen = new Set<string>()
  return issues.filter((i) => {
    if (linesFailed && i.path === 'models') return false
    if (seen.has(i.path)) return false
    seen.add(i.path)
    return true
  })
}

const keySourceName = (status: 'env' | 'config') => (status === 'env' ? 'environment' : 'config file')

/** A key typed in the page; the message never quotes the value, which would come back to the browser. */
export function checkKey(raw: string): { ok: true; key: string } | { ok: false; issue: Issue } {
  const parsed = ApiKeySchema.safeParse(raw.trim())
  if (parsed.success) return { ok: true, key: parsed.data }
  return {
    ok: false,
    issue: { path: 'api_key', message: raw.trim() ? (parsed.error.issues[0]?.message ?? 'invalid key') : 'is empty' },
  }
}
