import OpenAI from 'openai'
import { classifyError } from '../providers/errors.ts'
import type { ProviderEntry } from '../providers/types.ts'

export type ProbeStatus = 'ok' | 'auth_failed' | 'unreachable' | 'error'

export interface ProbeOutcome {
  status: ProbeStatus
  latencyMs: number
  /** How it was tested: listing models, or (when listing is not supported) a 1-token completion. */
  method: 'models' | 'completion'
  /** Models the upstream listed (untrusted text: escape when shown). */
  models: string[]
  /** Redacted, safe to show. */
  message: string
}

const MAX_MODELS = 2000

/** An SDK client for one probe, with the adapter's safety settings: no retries, no redirects, no SDK logging. */
export function probeClient(provider: ProviderEntry, fetchImpl: typeof fetch, timeoutMs: number): OpenAI {
  return new OpenAI({
    baseURL: provider.baseURL,
    apiKey: provider.apiKey ?? 'no-key',
    maxRetries: 0,
    timeout: timeoutMs,
    logLevel: 'off',
    fetch: (url, init) => fetchImpl(url, { ...init, redirect: 'error' }),
  })
}

function failure(err: unknown, secrets: string[], method: ProbeOutcome['method'], latencyMs: number): ProbeOutcome {
  const e = classifyError(err, secrets)
  const status: ProbeStatus =
    e.kind === 'auth' ? 'auth_failed' : e.kind === 'network' || e.kind === 'timeout' ? 'unreachable' : 'error'
  return { status, latencyMs, method, models: [], message: e.message }
}

const unsupported = (err: unknown) =>
  err instanceof OpenAI.APIError && (err.status === 404 || err.status === 405 || err.status === 501)

/**
 * "Test" on the settings page: `GET {base_url}/models` with the provider's key; when the endpoint does not
 * list models, a 1-token completion with the first configured model instead. Never throws.
 */
export async function probeProvider(
  provider: ProviderEntry,
  fetchImpl: typeof fetch,
  timeoutMs: number,
): Promise<ProbeOutcome> {
  const secrets = provider.apiKey ? [provider.apiKey] : []
  const client = probeClient(provider, fetchImpl, timeoutMs)
  const started = performance.now()
  const elapsed = () => Math.round(performance.now() - started)
  try {
    const page = await client.models.list()
    const models = page.data.slice(0, MAX_MODELS).map((m) => String(m.id))
    return {
      status: 'ok',
      latencyMs: elapsed(),
      method: 'models',
      models,
      message: `${page.data.length} model(s) listed`,
    }
  } catch (err) {
    if (!unsupported(err)) return failure(err, secrets, 'models', elapsed())
  }
  const model = provider.models[0]?.id
  if (!model)
    return {
      status: 'error',
      latencyMs: elapsed(),
      method: 'completion',
      models: [],
      message: 'the endpoint does not list models and no model is configured to try',
    }
  const again = performance.now()
  try {
    await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'ping' }], max_tokens: 1 })
    return {
      status: 'ok',
      latencyMs: Math.round(performance.now() - again),
      method: 'completion',
      models: [],
      message: `a 1-token completion with ${model} succeeded`,
    }
  } catch (err) {
    return failure(err, secrets, 'completion', Math.round(performance.now() - again))
  }
}
