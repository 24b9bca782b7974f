import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { createRequire } from 'node:module'
import type * as Undici from 'undici'
import { blockedAddressReason } from './ip-address.ts'
import { urlProblem } from './base-url.ts'

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

/**
 * fetch for every upstream call: refuses URLs that are not http(s) or name a blocked address literally, and
 * checks resolved addresses at connect time through its own connection pool. Uses undici's own fetch with
 * undici's Agent (a matched pair; Node's bundled fetch cannot take a lookup hook).
 */
export function createGuardedFetch(options: GuardedFetchOptions = {}): typeof fetch {
  // undici (~17 MiB) loads with the first upstream call; the demo provider and an idle server never need it.
  let undici: { agent: Undici.Agent; fetch: typeof Undici.fetch } | undefined
  const load = () => {
    if (!undici) {
      const { Agent, fetch } = createRequire(import.meta.url)('undici') as typeof Undici
      undici = { agent: new Agent({ connect: { lookup: guardedLookup(options.resolver) as never } }), fetch }
    }
    return undici
  }
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    const problem = urlProblem(href)
    if (problem)
      throw new TypeError('fetch failed', { cause: new BlockedAddressError(`refused to connect: the URL ${problem}`) })
    const fromRequest =
      input instanceof Request
        ? { method: input.method, headers: input.headers, body: input.body, signal: input.signal, duplex: 'half' }
        : {}
    const { agent, fetch: undiciFetch } = load()
    return undiciFetch(href, { ...fromRequest, ...(init as object), dispatcher: agent } as never) as unknown as Response
  }) as typeof fetch
}
