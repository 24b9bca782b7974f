import { request as httpRequest } from 'node:http'
import { serve } from '@hono/node-server'
import type { Hono } from 'hono'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { parseConfigText, validateConfig, type LoadedConfig } from '../../src/config/load.ts'
import type { Env } from '../../src/config/interpolate.ts'
import { createContext, type AppContext, type ContextOptions } from '../../src/context.ts'
import { createApp } from '../../src/app.ts'
import type { TargetResult } from '../../src/domain/types.ts'
import type { Run } from '../../src/engine/run-service.ts'
import type { ApiErrorBody } from '../../src/http/api-error.ts'

/** A key shaped like a real one, so both exact-value and pattern redaction are exercised. */
export const TEST_KEY = 'sk-test-9f8e7d6c5b4a39281706abcdef'

export interface JuxtaOptions extends Omit<ContextOptions, 'log'> {
  /** YAML text or an already-parsed config object. */
  config: string | Record<string, unknown>
  env?: Env
}

export interface RunningJuxta {
  /** `http://127.0.0.1:<port>` */
  url: string
  ctx: AppContext
  app: Hono
  /** Every line the app logged. */
  logs: string[]
  close(): Promise<void>
}

export function loadTestConfig(config: string | Record<string, unknown>, env: Env = {}): LoadedConfig {
  return typeof config === 'string'
    ? parseConfigText(config, 'test config', env)
    : validateConfig(config, 'test config', env)
}

/** Builds the real app from a test config and serves it on 127.0.0.1:0. */
export async function startJuxta(options: JuxtaOptions): Promise<RunningJuxta> {
  const { config, env, ...contextOptions } = options
  const logs: string[] = []
  const ctx = createContext(loadTestConfig(config, env ?? {}), { ...contextOptions, log: (line) => logs.push(line) })
  const app = createApp(ctx)
  const { server, port } = await new Promise<{ server: Server; port: number }>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
      resolve({ server: s as Server, port: info.port }),
    )
  })
  return {
    url: `http://127.0.0.1:${port}`,
    ctx,
    app,
    logs,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export interface ProviderSpec {
  base_url: string
  api_key?: string
  requires_key?: boolean
  idle_timeout_ms?: number
  models: Array<string | Record<string, unknown>>
}

/** A config object whose providers point at fake upstreams; `run` overrides the (fast) test defaults. */
export function fakeConfig(
  providers: Record<string, ProviderSpec>,
  run: Record<string, number> = {},
): Record<string, unknown> {
  return {
    run: { max_retries: 0, idle_timeout_ms: 5000, deadline_ms: 15_000, connect_timeout_ms: 5000, ...run },
    providers: Object.fromEntries(
      Object.entries(providers).map(([id, p]) => [
        id,
        { api_key: p.requires_key === false ? undefined : TEST_KEY, ...p },
      ]),
    ),
  }
}

/**
 * `/api/compare`'s JSON: a run on 200, the shared error body otherwise. Typed as both so a test reads the side
 * its status assertion picked; the other side's fields are undefined at runtime.
 */
export type CompareBody = Run & ApiErrorBody & { summary: { targets: unknown[] } }

export interface CompareResponse {
  status: number
  body: CompareBody
  text: string
}

/** POST /api/compare with a JSON body (not streamed). */
export async function postCompare(url: string, body: unknown, init: RequestInit = {}): Promise<CompareResponse> {
  const res = await fetch(`${url}/api/compare`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  })
  const text = await res.text()
  let parsed: CompareBody | undefined
  try {
    parsed = JSON.parse(text) as CompareBody
  } catch {
    // left undefined: callers assert on status / text
  }
  return { status: res.status, body: parsed as CompareBody, text }
}

/** Runs a compare and returns its results in request order; fails the test on a non-200 answer. */
export async function compareResults(
  url: string,
  prompt: string,
  targets: string[],
  extra: Record<string, unknown> = {},
): Promise<TargetResult[]> {
  const res = await postCompare(url, { prompt, targets, ...extra })
  if (res.status !== 200) throw new Error(`compare failed with ${res.status}: ${res.text.slice(0, 500)}`)
  return res.body.results as TargetResult[]
}

/**
 * POSTs a request that declares a body over `bytes` but sends only its first kilobyte, and returns the answer: a
 * limit is checked on the declared length, so a 64 MiB limit is tested without racing the server's close against
 * 64 MiB still being written (which surfaces as ECONNRESET instead of the 413).
 */
export function postDeclaredOversize(
  url: string,
  path: string,
  bytes: number,
  contentType = 'application/json',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  const target = new URL(path, url)
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      target,
      {
        method: 'POST',
        headers: { 'content-type': contentType, 'content-length': String(bytes + 1), origin: target.origin },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => {
          text += d
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }))
      },
    )
    req.on('error', reject)
    req.write('x'.repeat(1024))
  })
}
