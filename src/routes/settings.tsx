import { Hono, type Context } from 'hono'
import type { AppContext } from '../context.ts'
import { ProviderSchema, type ProviderConfig } from '../config/schema.ts'
import type { ProviderEntry } from '../providers/types.ts'
import { maskKey } from '../keys/key-store.ts'
import { originOf, urlProblem } from '../security/base-url.ts'
import { validateCustomProvider, type Issue } from '../settings/custom-providers.ts'
import { discoverLocalServers, localCandidates, OLLAMA_ORIGIN, type LocalServer } from '../settings/discovery.ts'
import { probeProvider } from '../settings/probe.ts'
import { modelLines, readProviderForm, type FormBody } from '../settings/provider-form.ts'
import {
  DiscoveryResults, FormErrors, ProbeResult, ProviderCard, SettingsBody, SettingsPage, type ProviderCardData,
} from '../../views/settings-page.tsx'

const ApiKeySchema = ProviderSchema.shape.api_key.unwrap()
const PROBE_TIMEOUT_MS = 15_000
const DISCOVERY_TIMEOUT_MS = 2_000

function storageNote(ctx: AppContext): string {
  if (ctx.keys.path === null) return 'Keys typed here are kept in memory only and are gone after a restart. They are never shown again.'
  if (ctx.keys.encrypted) return 'Keys typed here are stored in the data directory, encrypted with JUXTA_SECRET (AES-256-GCM), and are never shown again. Keys from the environment or the config file take precedence and are never written by Juxta.'
  return 'Keys typed here are stored in the data directory in a file only your user can read (mode 600), not encrypted: set JUXTA_SECRET to encrypt them. They are never shown again. Keys from the environment or the config file take precedence and are never written by Juxta.'
}

function sourceOf(ctx: AppContext, p: ProviderEntry): ProviderCardData['source'] {
  if (p.builtin) return 'builtin'
  return p.id in ctx.config.config.providers ? 'config' : 'custom'
}

function cardData(ctx: AppContext, p: ProviderEntry): ProviderCardData {
  const source = sourceOf(ctx, p)
  const stored = source === 'builtin' ? ({ kind: 'none' } as const) : ctx.keys.state(p.id, p.baseURL)
  let keyNote: string | undefined
  if (stored.kind === 'other-origin') {
    keyNote = `A key is stored for ${stored.origin}; it is never sent to ${originOf(p.baseURL) ?? 'this base URL'}. Enter the key again for this address, or delete the old one.`
  } else if (stored.kind === 'unreadable') {
    keyNote = 'A stored key cannot be decrypted with the current JUXTA_SECRET. Enter it again, or restore the secret it was saved with.'
  } else if (stored.kind === 'stored' && (p.keyStatus === 'env' || p.keyStatus === 'config')) {
    keyNote = `A stored key exists, but the key from the ${p.keyStatus === 'env' ? 'environment' : 'config file'} takes precedence.`
  }
  const custom = source === 'custom' ? ctx.customProviders.get(p.id) : undefined
  return {
    id: p.id,
    name: p.name,
    baseURL: p.baseURL,
    source,
    models: p.models.map((m) => ({ id: m.id, label: m.label, price: m.price })),
    keyStatus: p.keyStatus,
    keyHint: p.apiKey !== undefined && p.keyStatus !== 'not_needed' ? maskKey(p.apiKey) : undefined,
    keyNote,
    canStoreKey: p.keyStatus === 'missing' || p.keyStatus === 'stored',
    hasStoredKey: stored.kind !== 'none',
    addressProblem: source === 'builtin' ? undefined : urlProblem(p.baseURL),
    edit: custom ? editValues(p.id, custom) : undefined,
  }
}

function editValues(id: string, p: ProviderConfig) {
  return { id, name: p.name ?? '', base_url: p.base_url ?? '', models: modelLines(p.models), no_key: p.requires_key === false, pricing: p.pricing ?? '' }
}

const cards = (ctx: AppContext) => ctx.catalog().providers.map((p) => cardData(ctx, p))

async function formOf(c: Context): Promise<FormBody | undefined> {
  try {
    return (await c.req.parseBody({ all: true })) as FormBody
  } catch {
    return undefined
  }
}

const problems = (c: Context, issues: Issue[], status: 400 | 404 | 409 | 422 | 500 = 422) => c.html(<FormErrors issues={issues} />, status)
const BAD_BODY: Issue[] = [{ path: '', message: 'the form could not be read' }]

function checkKey(raw: string): { ok: true; key: string } | { ok: false; issue: Issue } {
  const parsed = ApiKeySchema.safeParse(raw.trim())
  if (parsed.success) return { ok: true, key: parsed.data }
  // The message never quotes the value: it would come back to the browser.
  return { ok: false, issue: { path: 'api_key', message: raw.trim() ? (parsed.error.issues[0]?.message ?? 'invalid key') : 'is empty' } }
}

function suggestId(ctx: AppContext, server: LocalServer): string {
  const base = server.providerId ? `${server.providerId}-local` : originOf(server.baseURL) === OLLAMA_ORIGIN ? 'ollama-local' : `local-${new URL(server.baseURL).port || 'server'}`
  let id = base.slice(0, 36)
  for (let n = 2; ctx.catalog().provider(id); n++) id = `${base.slice(0, 36)}-${n}`
  return id
}

/** /settings: providers, keys, custom providers, local discovery. Every change rebuilds the catalog at once. */
export function settingsRoutes(ctx: AppContext): Hono {
  const app = new Hono()
  app.use('*', async (c, next) => {
    await next()
    c.header('Cache-Control', 'no-store')
  })

  const body = (c: Context, notice?: string) => c.html(<SettingsBody providers={cards(ctx)} notice={notice} storage={storageNote(ctx)} />)
  const card = (c: Context, id: string, notice?: string) => {
    const p = ctx.catalog().provider(id)
    return p ? c.html(<ProviderCard p={cardData(ctx, p)} notice={notice} />) : body(c, notice)
  }
  const unknown = (c: Context) => problems(c, [{ path: '', message: 'no such provider' }], 404)
  /** A provider added in this page with the posted form, or the answer saying why it cannot be edited. */
  const editable = async (c: Context, id: string) => {
    const existing = ctx.customProviders.get(id)
    if (!existing) return ctx.catalog().provider(id) ? problems(c, [{ path: '', message: 'providers from the config file are changed in the config file' }], 409) : unknown(c)
    const form = await formOf(c)
    if (!form) return problems(c, BAD_BODY, 400)
    return { existing, form }
  }
  /** Runs a change to the key or provider file; each store undoes its own change when the write fails. */
  const saving = (c: Context, change: () => void, done: () => Response | Promise<Response>) => {
    try {
      change()
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error'
      ctx.log(`settings: could not write to the data directory (${code})`)
      return problems(c, [{ path: '', message: `could not write to the data directory (${code}); check that it exists and is writable, then try again` }], 500)
    }
    ctx.reconfigure()
    return done()
  }

  app.get('/', (c) => c.html(<SettingsPage providers={cards(ctx)} storage={storageNote(ctx)} />))

  app.post('/providers', async (c) => {
    const form = await formOf(c)
    if (!form) return problems(c, BAD_BODY, 400)
    const f = readProviderForm(form)
    const issues = [...f.issues]
    if (f.id && (ctx.catalog().provider(f.id) || ctx.customProviders.has(f.id))) issues.push({ path: 'id', message: `"${f.id}" is already used by another provider` })
    const checked = validateCustomProvider(f.id, f.raw)
    if (!checked.ok) issues.push(...checked.issues)
    let key: string | undefined
    if (f.apiKey) {
      const k = checkKey(f.apiKey)
      if (k.ok) key = k.key
      else issues.push(k.issue)
    }
    if (issues.length > 0 || !checked.ok) return problems(c, issues)
    const provider = checked.value
    return saving(
      c,
      () => {
        ctx.customProviders.put(f.id, provider)
        try {
          ctx.keys.delete(f.id) // a key left by an earlier provider of that id is not inherited
          if (key !== undefined && provider.requires_key !== false) ctx.keys.set(f.id, provider.base_url!, key)
        } catch (err) {
          ctx.customProviders.remove(f.id)
          throw err
        }
      },
      () => {
        ctx.log(`settings: added provider ${f.id}`)
        return body(c, `Added ${f.id}.`)
      },
    )
  })

  app.post('/providers/:id', async (c) => {
    const id = c.req.param('id')
    const editing = await editable(c, id)
    if (editing instanceof Response) return editing
    const { existing, form } = editing
    const f = readProviderForm(form)
    const checked = validateCustomProvider(id, f.raw)
    if (f.issues.length > 0 || !checked.ok) return problems(c, [...f.issues, ...(checked.ok ? [] : checked.issues)])
    const before = originOf(existing.base_url ?? '')
    const after = checked.value.base_url!
    let dropped = false
    return saving(
      c,
      () => {
        ctx.customProviders.put(id, checked.value)
        // A key saved for one origin never follows the provider to another (and is never sent there even if
        // this delete failed: the store hands keys out only for the origin they were saved for).
        dropped = ctx.keys.dropIfMoved(id, after)
      },
      () => {
        ctx.log(`settings: changed provider ${id}${dropped ? ' (base URL moved to another origin; stored key deleted)' : ''}`)
        return body(c, dropped ? `Saved ${id}. Its base URL moved from ${before} to ${originOf(after)}, so the stored key was deleted: enter the key again.` : `Saved ${id}.`)
      },
    )
  })

  app.post('/providers/:id/models', async (c) => {
    const id = c.req.param('id')
    const editing = await editable(c, id)
    if (editing instanceof Response) return editing
    const { existing, form } = editing
    const picked = (Array.isArray(form.model) ? form.model : [form.model]).filter((m): m is string => typeof m === 'string')
    const have = new Set(existing.models.map((m) => (typeof m === 'string' ? m : m.id)))
    const checked = validateCustomProvider(id, { ...existing, models: [...existing.models, ...picked.filter((m) => !have.has(m))] })
    if (!checked.ok) return problems(c, checked.issues)
    return saving(c, () => ctx.customProviders.put(id, checked.value), () => body(c, `Added ${checked.value.models.length - existing.models.length} model(s) to ${id}.`))
  })

  app.delete('/providers/:id', (c) => {
    const id = c.req.param('id')
    if (!ctx.customProviders.has(id)) return ctx.catalog().provider(id) ? problems(c, [{ path: '', message: 'providers from the config file are removed in the config file' }], 409) : unknown(c)
    return saving(
      c,
      () => {
        ctx.customProviders.remove(id)
        ctx.keys.delete(id)
      },
      () => {
        ctx.log(`settings: removed provider ${id}`)
        return body(c, `Removed ${id} and its stored key.`)
      },
    )
  })

  app.post('/providers/:id/key', async (c) => {
    const id = c.req.param('id')
    const p = ctx.catalog().provider(id)
    if (!p) return unknown(c)
    if (p.builtin || p.keyStatus === 'not_needed') return problems(c, [{ path: '', message: 'this provider needs no key' }], 409)
    if (p.keyStatus === 'env' || p.keyStatus === 'config') {
      return problems(c, [{ path: '', message: `this provider's key comes from the ${p.keyStatus === 'env' ? 'environment' : 'config file'}, which takes precedence; change it there` }], 409)
    }
    const address = urlProblem(p.baseURL)
    if (address) return problems(c, [{ path: 'base_url', message: `${address}; no key is stored for it` }])
    const form = await formOf(c)
    if (!form) return problems(c, BAD_BODY, 400)
    const k = checkKey(typeof form.api_key === 'string' ? form.api_key : '')
    if (!k.ok) return problems(c, [k.issue])
    return saving(c, () => ctx.keys.set(id, p.baseURL, k.key), () => {
      ctx.log(`settings: stored a key for ${id}`)
      return card(c, id, 'Key saved.')
    })
  })

  app.delete('/providers/:id/key', (c) => {
    const id = c.req.param('id')
    if (!ctx.catalog().provider(id)) return unknown(c)
    let had = false
    return saving(c, () => (had = ctx.keys.delete(id)), () => {
      if (had) ctx.log(`settings: deleted the stored key for ${id}`)
      return card(c, id, had ? 'Stored key deleted.' : 'No key was stored.')
    })
  })

  app.post('/providers/:id/test', async (c) => {
    const p = ctx.catalog().provider(c.req.param('id'))
    if (!p) return unknown(c)
    const outcome = await probeProvider(p, ctx.upstreamFetch, Math.min(ctx.settings.connect_timeout_ms, PROBE_TIMEOUT_MS))
    ctx.log(`settings: tested ${p.id}: ${outcome.status} in ${outcome.latencyMs} ms`)
    return c.html(<ProbeResult outcome={outcome} configured={p.models.map((m) => m.id)} />)
  })

  app.post('/discover', async (c) => {
    const providers = ctx.catalog().providers
    const servers = await discoverLocalServers(localCandidates(providers), ctx.upstreamFetch, DISCOVERY_TIMEOUT_MS)
    return c.html(
      <DiscoveryResults
        servers={servers}
        known={Object.fromEntries(providers.map((p) => [p.id, p.models.map((m) => m.id)]))}
        custom={[...ctx.customProviders.all().keys()]}
        suggestId={(s) => suggestId(ctx, s)}
      />,
    )
  })

  return app
}
