import type { AppConfig } from '../config/schema.ts'
import type { KeySource } from '../config/load.ts'
import type { KeyStatus, ModelEntry, ProviderEntry, TargetEntry } from './types.ts'

export interface StoredKeyLookup {
  /** A key saved through the settings page for this provider and base-URL origin, if any. */
  get(providerId: string, baseURL: string): string | undefined
}

export interface CatalogOptions {
  /** Base URL of Juxta's own demo simulator, e.g. http://127.0.0.1:8787/demo/v1 */
  demoBaseURL: string
  keySources: Record<string, KeySource>
  storedKeys?: StoredKeyLookup
}

/** The providers and targets a run can use, with keys resolved. Built from config; rebuilt on changes. */
export class Catalog {
  readonly providers: ReadonlyArray<ProviderEntry>
  private readonly byTarget = new Map<string, TargetEntry>()

  constructor(config: AppConfig, options: CatalogOptions) {
    this.providers = Object.entries(config.providers).map(([id, p]) => {
      const baseURL = p.builtin === 'demo' ? options.demoBaseURL : p.base_url!
      const models: ModelEntry[] = p.models.map((m) =>
        typeof m === 'string'
          ? { id: m, label: m }
          : { id: m.id, label: m.label ?? m.id, price: m.price, simulate: m.simulate, vision: m.vision },
      )
      const needsKey = p.builtin !== 'demo' && p.requires_key !== false
      let apiKey = p.api_key
      let keyStatus: KeyStatus
      if (!needsKey) keyStatus = 'not_needed'
      else if (apiKey !== undefined) keyStatus = options.keySources[id] ?? 'config'
      else {
        apiKey = options.storedKeys?.get(id, baseURL)
        keyStatus = apiKey !== undefined ? 'stored' : 'missing'
      }
      return {
        id,
        name: p.name ?? id,
        baseURL,
        builtin: p.builtin,
        pricing: p.pricing ?? id,
        apiKey,
        keyStatus,
        idleTimeoutMs: p.idle_timeout_ms,
        models,
      }
    })
    for (const provider of this.providers) {
      for (const model of provider.models) {
        const target = `${provider.id}/${model.id}`
        this.byTarget.set(target, { target, provider, model })
      }
    }
  }

  targets(): TargetEntry[] {
    return [...this.byTarget.values()]
  }

  find(target: string): TargetEntry | undefined {
    return this.byTarget.get(target)
  }

  provider(id: string): ProviderEntry | undefined {
    return this.providers.find((p) => p.id === id)
  }
}

/** Targets are `provider/model`, split at the first "/" since model ids may contain "/" themselves. */
export function splitTarget(target: string): { provider: string; model: string } | undefined {
  const at = target.indexOf('/')
  if (at <= 0 || at === target.length - 1) return undefined
  return { provider: target.slice(0, at), model: target.slice(at + 1) }
}
