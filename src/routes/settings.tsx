import { type Context, Hono } from 'hono'
import type { ProviderConfig } from '../config/schema.ts'
import type { AppContext } from '../context.ts'
import { maskKey } from '../keys/key-store.ts'
import type { ProviderEntry } from '../providers/types.ts'
import { urlProblem } from '../security/base-url.ts'
import type { Issue } from '../settings/custom-providers.ts'
import { discoverLocalServers, localCandidates } from '../settings/discovery.ts'
import { probeProvider } from '../settings/probe.ts'
import { type FormBody, modelLines } from '../settings/provider-form.ts'
import { ProviderSettings, type SettingsOutcome } from '../settings/provider-settings.ts'
import {
  DiscoveryResults,
  FormErrors,
  ProbeResult,
  ProviderCard,
  type ProviderCardData,
  SettingsBody,
  SettingsPage,
} from '../../views/settings-page.tsx'

const PROBE_TIMEOUT_MS = 15_000
const DISCOVERY_TIMEOUT_MS = 2_000

function cardData(rules: ProviderSettings, ctx: AppContext, p: ProviderEntry): ProviderCardData {
  const source = rules.sourceOf(p)
  const key = rules.keyView(p)
  const custom = source === 'custom' ? ctx.customProviders.get(p.id) : undefined
  return {
    id: p.id,
    name: p.name,
    baseURL: p.baseURL,
    source,
    models: p.models.map((m) => ({ id: m.id, label: m.label, price: m.price })),
    keyStatus: p.keyStatus,
    keyHint: p.apiKey !== undefined && p.keyStatus !== 'not_needed' ? maskKey(p.apiKey) : undefined,
    keyNote: key.note,
    canStoreKey: key.canStoreKey,
    hasStoredKey: key.hasStoredKey,
    addressProblem: source === 'builtin' ? undefined : urlProblem(p.baseURL),
    edit: custom ? editValues(p.id, custom) : undefined,
  }
}

function editValues(id: string, p: ProviderConfig) {
  return {
    id,
    name: p.name ?? '',
    base_url: p.base_url ?? '',
    models: modelLines(p.models),
    no_key: p.requires_key === false,
    pricing: p.pricing ?? '',
  }
}

async function formOf(c: Context): Promise<FormBody | undefined> {
  try {
    return (await c.req.parseBody({ all: true })) as FormBody
  } catch {
    return undefined
  }
}

const problems = (c: Context, issues: Issue[], status: 400 | 404 | 409 | 422 | 500 | 503 = 422) =>
  c.html(<FormErrors issues={issues} />, status)
const BAD_BODY: Issue[] = [{ path: '', message: 'the form could not be read' }]

/** /settings: providers, keys, custom providers, local discovery. Every change rebuilds the catalog at once. */
export function settingsRoutes(ctx: AppContext): Hono {
  const app = new Hono()
  const rules = new ProviderSettings(ctx)
  app.use('*', async (c, next) => {
    await next()
    c.header('Cache-Control', 'no-store')
  })

  const cards = () => ctx.catalog().providers.map((p) => cardData(rules, ctx, p))
  const body = (c: Context, notice?: string) =>
    c.html(<SettingsBody providers={cards()} notice={notice} storage={rules.storageNote()} />)
  const card = (c: Context, id: string, notice?: string) => {
    const p = ctx.catalog().provider(id)
    return p ? c.html(<ProviderCard p={cardData(rules, ctx, p)} notice={notice} />) : body(c, notice)
  }
  /** The whole list after a change to the providers; one card after a change to a key. */
  const reply = (c: Context, outcome: SettingsOutcome, cardId?: string) => {
    if (!outcome.ok) return problems(c, outcome.issues, outcome.status)
    return cardId === undefined ? body(c, outcome.notice) : card(c, cardId, outcome.notice)
  }

  app.get('/', (c) => c.html(<SettingsPage providers={cards()} storage={rules.storageNote()} />))

  app.post('/providers', async (c) => {
    const form = await formOf(c)
    return form ? reply(c, await rules.addProvider(form)) : problems(c, BAD_BODY, 400)
  })

  app.post('/providers/:id', async (c) => {
    const id = c.req.param('id')
    const editing = rules.editable(id)
    if (!editing.ok) return reply(c, editing.outcome)
    const form = await formOf(c)
    return form ? reply(c, await rules.editProvider(id, form)) : problems(c, BAD_BODY, 400)
  })

  app.post('/providers/:id/models', async (c) => {
    const id = c.req.param('id')
    const editing = rules.editable(id)
    if (!editing.ok) return reply(c, editing.outcome)
    const form = await formOf(c)
    if (!form) return problems(c, BAD_BODY, 400)
    const picked = (Array.isArray(form.model) ? form.model : [form.model]).filter(
      (m): m is string => typeof m === 'string',
    )
    return reply(c, await rules.addModels(id, picked))
  })

  app.delete('/providers/:id', async (c) => reply(c, await rules.removeProvider(c.req.param('id'))))

  app.post('/providers/:id/key', async (c) => {
    const id = c.req.param('id')
    const refused = rules.keyRefusal(id)
    if (refused) return reply(c, refused)
    const form = await formOf(c)
    if (!form) return problems(c, BAD_BODY, 400)
    return reply(c, await rules.storeKey(id, typeof form.api_key === 'string' ? form.api_key : ''), id)
  })

  app.delete('/providers/:id/key', async (c) => {
    const id = c.req.param('id')
    return reply(c, await rules.deleteKey(id), id)
  })

  app.post('/providers/:id/test', async (c) => {
    const p = ctx.catalog().provider(c.req.param('id'))
    if (!p) return problems(c, [{ path: '', message: 'no such provider' }], 404)
    const timeout = Math.min(ctx.settings.connect_timeout_ms, PROBE_TIMEOUT_MS)
    const outcome = await probeProvider(p, ctx.upstreamFetch, timeout)
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
        suggestId={(s) => rules.suggestId(s)}
      />,
    )
  })

  return app
}
