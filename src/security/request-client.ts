import type { Context } from 'hono'
import { isIPv4, isIPv6 } from 'node:net'
import { parseIPv6 } from './ip-address.ts'

/** Who sent a request and whether it reached us over https, as far as this server can tell. */
export interface RequestClient {
  /** The client's IP address, for logs; `unknown` when the runtime gives none (in-process requests). */
  address: string
  /** The key the login throttle counts under: the address, or its /64 for IPv6 (one host's usual share). */
  key: string
  /** https between the browser and whoever terminates TLS: decides the cookie's `Secure`. */
  https: boolean
}

interface NodeBindings {
  incoming?: { socket?: { remoteAddress?: string; encrypted?: boolean } }
}

/**
 * `::ffff:10.0.0.1` → `10.0.0.1`; a port some proxies append (`10.0.0.1:4711`, `[2001:db8::1]:4711`) is
 * dropped; anything that is not an IP address → undefined (so never logged raw).
 */
function normalizeAddress(text: string | undefined): string | undefined {
  if (text === undefined) return undefined
  const s = text
    .trim()
    .replace(/^\[(.*)\](:\d+)?$/, '$1')
    .replace(/^(\d+\.\d+\.\d+\.\d+):\d+$/, '$1')
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(s)
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]
  if (isIPv4(s)) return s
  if (isIPv6(s)) return s.toLowerCase()
  return undefined
}

/** The throttle key: IPv6 hosts usually own a whole /64, so counting single addresses would not count them. */
function throttleKey(address: string): string {
  const n = isIPv6(address) ? parseIPv6(address) : undefined
  if (n === undefined) return address
  const prefix = n >> 64n
  const groups = [48n, 32n, 16n, 0n].map((shift) => ((prefix >> shift) & 0xffffn).toString(16))
  return `${groups.join(':')}::/64`
}

/**
 * The client address and scheme. Without `trustProxy`, X-Forwarded-For and X-Forwarded-Proto are ignored:
 * anyone can send them, and honouring them would let a guesser pose as a new client for every request.
 * With it (JUXTA_TRUST_PROXY=1, Juxta reachable only through the proxy), the client is the last address
 * in X-Forwarded-For, the one the proxy itself appended (earlier entries are whatever the client sent),
 * and any `https` in X-Forwarded-Proto makes the cookie Secure. A request that itself came over TLS is https.
 */
export function requestClient(c: Context, trustProxy: boolean): RequestClient {
  const socket = (c.env as NodeBindings | undefined)?.incoming?.socket
  let address = normalizeAddress(socket?.remoteAddress)
  // An absolute request target (`POST https://host/login HTTP/1.1`) would make the URL say https over plain
  // http, so the socket decides when there is one; in-process requests (tests) only have the URL.
  let https = socket ? socket.encrypted === true : new URL(c.req.url).protocol === 'https:'
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',').at(-1)
    address = normalizeAddress(forwarded) ?? address
    const proto = (c.req.header('x-forwarded-proto') ?? '')
      .toLowerCase()
      .split(',')
      .map((p) => p.trim())
    if (proto.includes('https')) https = true
  }
  const known = address ?? 'unknown'
  return { address: known, key: throttleKey(known), https }
}
