import OpenAI from 'openai'
import type { ProviderEntry, Reachability } from './types.ts'
import { classifyError } from './errors.ts'
import { isLocalNetworkHost } from '../security/ip-address.ts'
import { originOf } from '../security/base-url.ts'
import { probeClient } from '../settings/probe.ts'

/**
 * Whether the local servers Juxta is configured for (Ollama, llama.cpp, LM Studio: no key, an address on this
 * machine or network) are listening, so the target picker offers as ready only those that are. Checks run
 * in the background with a cheap `GET {base_url}/models` and are kept for a short time; a page asks for the
 * cached answer and at most waits a short, bounded time for a first one. Cloud providers are never probed.
 */

export interface ReachabilityOptions {
  /** The app's upstream fetch, so the address guard applies to the probe too. */
  fetch: typeof fetch
  /** Milliseconds; injectable so tests move time without waiting. */
  now?: () => number
  /** How long a result is fresh. */
  ttlMs?: number
  /** Time allowed for the probe's answer. */
  timeoutMs?: number
}

export const REACHABILITY_TTL_MS = 20_000
export const REACHABILITY_TIMEOUT_MS = 1500
/** The longest a page (or `GET /api/targets`) waits for a first answer before showing what it knows. */
export const PAGE_WAIT_MS = 300
/** "Check again" waits for the probes to end (they time out before this). */
export const RECHECK_WAIT_MS = REACHABILITY_TIMEOUT_MS + 500

const NOT_CHECKED: Reachability = { reachable: null, reason: null, checkedAt: null }

/** Local providers that take no key: the ones worth probing. */
export function isLocalProvider(p: ProviderEntry): boolean {
  if (p.builtin || p.keyStatus !== 'not_needed') return false
  try {
    return isLocalNetworkHost(new URL(p.baseURL).hostname)
  } catch {
    return false
  }
}

/** "Ollama (local)" → "Ollama": the name of the thing to start. */
const serverName = (p: ProviderEntry) => p.name.replace(/\s*\(local\)\s*$/i, '') || p.id

export class ReachabilityMonitor {
  private readonly results = new Map<string, Reachability>()
  private readonly inFlight = new Map<string, Promise<Reachability>>()
  private readonly now: () => number
  private readonly ttlMs: number
  private readonly timeoutMs: number

  constructor(private readonly options: ReachabilityOptions) {
    this.now = options.now ?? Date.now
    this.ttlMs = options.ttlMs ?? REACHABILITY_TTL_MS
    this.timeoutMs = options.timeoutMs ?? REACHABILITY_TIMEOUT_MS
  }

  /**
   * The last known answer, at once. A missing or stale one starts a check in the background; until it ends
   * the last answer (or "not checked") stands.
   */
  status(p: ProviderEntry): Reachability {
    if (!isLocalProvider(p)) return NOT_CHECKED
    const known = this.results.get(p.baseURL)
    if (!known || this.stale(known)) void this.start(p)
    return known ?? NOT_CHECKED
  }

  /** Checks now, whatever the cache holds (the page's "check again"); joins a check already running. */
  check(p: ProviderEntry): Promise<Reachability> {
    if (!isLocalProvider(p)) return Promise.resolve(NOT_CHECKED)
    return this.start(p)
  }

  /**
   * Starts the checks that are due (or all of them with `force`) and waits for them, at most `maxWaitMs`.
   * Returns each provider's answer by id, as known when the wait ends.
   */
  async settle(
    providers: ReadonlyArray<ProviderEntry>,
    options: { maxWaitMs: number; force?: boolean },
  ): Promise<Record<string, Reachability>> {
    const pending = providers.filter(isLocalProvider).flatMap((p) => {
      const known = this.results.get(p.baseURL)
      const running = this.inFlight.get(p.baseURL)
      if (options.force || !known || this.stale(known)) return [running ?? this.start(p)]
      return running ? [running] : []
    })
    if (pending.length > 0) {
      let timer: NodeJS.Timeout | undefined
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, options.maxWaitMs)
        timer.unref()
      })
      await Promise.race([Promise.all(pending), deadline])
      clearTimeout(timer)
    }
    return Object.fromEntries(
      providers.map((p) => [p.id, isLocalProvider(p) ? (this.results.get(p.baseURL) ?? NOT_CHECKED) : NOT_CHECKED]),
    )
  }

  private stale(r: Reachability): boolean {
    return r.checkedAt === null || this.now() - r.checkedAt >= this.ttlMs
  }

  private start(p: ProviderEntry): Promise<Reachability> {
    const running = this.inFlight.get(p.baseURL)
    if (running) return running
    const check = this.probe(p).then((r) => {
      this.results.set(p.baseURL, r)
      this.inFlight.delete(p.baseURL)
      return r
    })
    this.inFlight.set(p.baseURL, check)
    return check
  }

  /**
   * Any HTTP answer means a server listens (even a 404 or 401); only a failed connection or silence does not.
   * Never rejects: a background check has no caller to report to.
   */
  private async probe(p: ProviderEntry): Promise<Reachability> {
    try {
      await probeClient(p, this.options.fetch, this.timeoutMs).models.list()
    } catch (err) {
      // The SDK wraps refused, blocked and silent connections (and its timeout) in APIConnectionError.
      if (err instanceof OpenAI.APIConnectionError) {
        const detail = classifyError(err, p.apiKey ? [p.apiKey] : []).message
        const where = originOf(p.baseURL) ?? p.baseURL
        return {
          reachable: false,
          reason: `not reachable at ${where} — start ${serverName(p)} (${detail})`,
          checkedAt: this.now(),
        }
      }
    }
    return { reachable: true, reason: null, checkedAt: this.now() }
  }
}
