import type { ProviderEntry } from '../providers/types.ts'
import { isLocalNetworkHost } from '../security/ip-address.ts'
import { originOf } from '../security/base-url.ts'
import { probeClient } from './probe.ts'

export const OLLAMA_ORIGIN = 'http://127.0.0.1:11434'

export interface LocalCandidate {
  /** OpenAI-compatible base URL, e.g. http://127.0.0.1:11434/v1 */
  baseURL: string
  /** The configured provider at this base URL, if any. */
  providerId?: string
  apiKey?: string
  /** Also ask Ollama's native `/api/tags`. */
  ollama: boolean
}

export interface LocalServer {
  baseURL: string
  providerId?: string
  /** Model ids the server offers (untrusted text: escape when shown). */
  models: string[]
}

const MAX_MODELS = 500

/** Ollama's default address plus every configured provider on this machine or the local network. */
export function localCandidates(
  providers: ReadonlyArray<ProviderEntry>,
  ollamaOrigin = OLLAMA_ORIGIN,
): LocalCandidate[] {
  const out: LocalCandidate[] = []
  for (const p of providers) {
    if (p.builtin) continue
    let host: string
    try {
      host = new URL(p.baseURL).hostname
    } catch {
      continue
    }
    if (!isLocalNetworkHost(host)) continue
    out.push({ baseURL: p.baseURL, providerId: p.id, apiKey: p.apiKey, ollama: originOf(p.baseURL) === ollamaOrigin })
  }
  if (!out.some((c) => c.ollama)) out.push({ baseURL: `${ollamaOrigin}/v1`, ollama: true })
  return out
}

async function ollamaTags(origin: string, fetchImpl: typeof fetch, timeoutMs: number): Promise<string[] | undefined> {
  try {
    const res = await fetchImpl(`${origin}/api/tags`, { redirect: 'error', signal: AbortSignal.timeout(timeoutMs) })
    if (!res.ok) return undefined
    const body = (await res.json()) as { models?: Array<{ name?: unknown; model?: unknown }> }
    if (!Array.isArray(body.models)) return undefined
    return body.models.map((m) => m.name ?? m.model).filter((n): n is string => typeof n === 'string' && n.length > 0)
  } catch {
    return undefined
  }
}

/** Asks every candidate for its models at once; only servers that answer are returned. Never throws. */
export async function discoverLocalServers(
  candidates: LocalCandidate[],
  fetchImpl: typeof fetch,
  timeoutMs = 2000,
): Promise<LocalServer[]> {
  const found = await Promise.all(
    candidates.map(async (c): Promise<LocalServer | undefined> => {
      let models: string[] | undefined
      try {
        const client = probeClient(
          {
            id: c.providerId ?? 'local',
            name: '',
            baseURL: c.baseURL,
            pricing: '',
            apiKey: c.apiKey,
            keyStatus: 'not_needed',
            models: [],
          },
          fetchImpl,
          timeoutMs,
        )
        models = (await client.models.list()).data.map((m) => String(m.id))
      } catch {
        models = c.ollama ? await ollamaTags(originOf(c.baseURL)!, fetchImpl, timeoutMs) : undefined
      }
      if (!models) return undefined
      return { baseURL: c.baseURL, providerId: c.providerId, models: [...new Set(models)].slice(0, MAX_MODELS) }
    }),
  )
  return found.filter((s): s is LocalServer => s !== undefined)
}
