import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { createRequire } from 'node:module'
import type * as Undici from 'undici'
import { blockedAddressReason } from './ip-address.ts'
import { urlProblem } from './base-url.ts'
import { withNodeBody } from '../http/node-body.ts'

/** Thrown (as the `cause` of fetch's TypeError) when an upstream address is refused. Has no `code` on purpose,
 * so error classification shows this message rather than a bare code. */
export class BlockedAddressError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'BlockedAddressError'
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void
/** The resolver, injectable so tests can make a name resolve to a metadata address without touching DNS. */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>

const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))),
  )

/**
 * A `lookup` for net.connect that resolves every address of a name and refuses the connection when any of
 * them is blocked. Because it runs inside the connect call, the address checked is the address connected
 * to: a name that resolves to a public address for a check and to 169.254.169.254 a moment later
 * (DNS rebinding) cannot slip between the two.
 */
export function guardedLookup(resolver: Resolver = systemResolver) {
  return (hostname: string, options: { all?: boolean; family?: number | string }, callback: LookupCallback): void => {
    resolver(hostname).then(
      (all) => {
        const family =
          options.family === 4 || options.family === 'IPv4'
            ? 4
            : options.family === 6 || options.family === 'IPv6'
              ? 6
              : 0
        const addresses = family ? all.filter((a) => a.family === family) : all
        for (const a of all) {
          const reason = blockedAddressReason(a.address)
          if (reason)
            return callback(
              new BlockedAddressError(`refused to connect to ${hostname}: it resolves to ${a.address}, ${reason}`),
              '',
            )
        }
        const first = addresses[0]
        if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '')
        if (options.all) callback(null, addresses)
        else callback(null, first.address, first.family)
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    )
  }
}

export interface GuardedFetchOptions {
  resolver?: Resolver
}

/** fetch for upstream calls, and its lean twin for the relay's streaming requests, over one connection pool. */
export interface UpstreamHttp {
  fetch: typeof fetch
  /**
   * The same request through undici's `request` (no fetch machinery, no web streams): a 2xx answer comes back
   * with its body as a Node stream (`nodeBodyOf`, http/node-body.ts) and `body` null; any other status comes
   * back read whole, as a plain Response, for the SDK's error handling. Redirects are never followed: a 3xx
   * is an error status like any other, so a key never travels to another origin.
   */
  streamingFetch: typeof fetch
}

/**
 * fetch for every upstream call: refuses URLs that are not http(s) or name a blocked address literally, and
 * checks resolved addresses at connect time through its own connection pool. Uses undici's own fetch with
 * undici's Agent (a matched pair; Node's bundled fetch cannot take a lookup hook).
 */
export function createGuardedFetch(options: GuardedFetchOptions = {}): typeof fetch {
  return createUpstreamHttp(options).fetch
}

/** Both ways of calling an upstream, sharing one guarded undici Agent (keep-alive pools per origin). */
export function createUpstreamHttp(options: GuardedFetchOptions = {}): UpstreamHttp {
  // undici (~17 MiB) loads with the first upstream call; the demo provider and an idle server never need it.
  let undici: { agent: Undici.Agent; fetch: typeof Undici.fetch } | undefined
  const load = () => {
    if (!undici) {
      const { Agent, fetch } = createRequire(import.meta.url)('undici') as typeof Undici
      undici = { agent: new Agent({ connect: { lookup: guardedLookup(options.resolver) as never } }), fetch }
    }
    return undici
  }
  // The verdict depends only on the scheme, credentials and host: for a URL as the SDK writes them
  // (`http(s)://authority/...`) it is checked once per such prefix instead of parsing every request's URL again.
  // The origin is kept with it: the streaming path needs it, and parsing the URL twice per request showed up.
  // Any other spelling (`http:/host`, no path, a query or fragment right after the host) is parsed in full.
  const verdicts = new Map<string, { problem: string | undefined; origin: string }>()
  const verdict = (href: string): { problem: string | undefined; origin: string; path: string } => {
    const prefix = PLAIN_PREFIX.exec(href)?.[0]
    if (prefix === undefined) {
      const problem = urlProblem(href)
      if (problem) return { problem, origin: '', path: '' }
      const url = new URL(href)
      return { problem, origin: url.origin, path: `${url.pathname}${url.search}` }
    }
    let known = verdicts.get(prefix)
    if (!known) {
      const problem = urlProblem(href)
      known = { problem, origin: problem ? '' : new URL(href).origin }
      if (verdicts.size >= 1000) verdicts.clear()
      verdicts.set(prefix, known)
    }
    // What follows the authority as written (a default port or credentials included), without a fragment.
    const hash = href.indexOf('#', prefix.length)
    return { ...known, path: href.slice(prefix.length, hash === -1 ? undefined : hash) }
  }
  const checked = (input: string | URL | Request): { href: string; origin: string; path: string } => {
    const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    const { problem, origin, path } = verdict(href)
    if (problem)
      throw new TypeError('fetch failed', { cause: new BlockedAddressError(`refused to connect: the URL ${problem}`) })
    return { href, origin, path }
  }
  const guarded = (async (input: string | URL | Request, init?: RequestInit) => {
    const { href } = checked(input)
    const fromRequest =
      input instanceof Request
        ? { method: input.method, headers: input.headers, body: input.body, signal: input.signal, duplex: 'half' }
        : {}
    const { agent, fetch: undiciFetch } = load()
    return undiciFetch(href, { ...fromRequest, ...(init as object), dispatcher: agent } as never) as unknown as Response
  }) as typeof fetch
  const streaming = (async (input: string | URL | Request, init?: RequestInit) => {
    if (input instanceof Request) return guarded(input, init)
    const { origin, path } = checked(input)
    const { agent } = load()
    const headers = init?.headers
    const res = await agent.request({
      origin,
      path,
      method: (init?.method ?? 'GET') as Undici.Dispatcher.HttpMethod,
      // undici takes the pairs as they are: no object built from them first.
      headers: Array.isArray(headers)
        ? Object.fromEntries(headers)
        : (headers as Record<string, string> | Iterable<[string, string]> | undefined),
      body: (init?.body ?? null) as string | null,
      signal: init?.signal ?? undefined,
    })
    const responseHeaders = new Headers()
    for (const [name, value] of Object.entries(res.headers)) {
      if (Array.isArray(value)) for (const v of value) responseHeaders.append(name, v)
      else if (value !== undefined) responseHeaders.set(name, value)
    }
    if (res.statusCode >= 200 && res.statusCode < 300) {
      return withNodeBody(new Response(null, { status: res.statusCode, headers: responseHeaders }), res.body)
    }
    const text = await res.body.text()
    const empty = NULL_BODY_STATUSES.has(res.statusCode) || text === ''
    return new Response(empty ? null : text, { status: res.statusCode, headers: responseHeaders })
  }) as typeof fetch
  return { fetch: guarded, streamingFetch: streaming }
}

/** `http(s)://authority/`: the authority has no path, query, fragment or backslash in it. */
const PLAIN_PREFIX = /^https?:\/\/[^/?#\\]+(?=\/)/i

/** Statuses a Response may not carry a body with. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304])
