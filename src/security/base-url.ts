import { blockedAddressReason, parseIPv4, parseIPv6 } from './ip-address.ts'

/** Names of cloud metadata services; they resolve to blocked addresses anyway, but say so before any lookup. */
const METADATA_NAMES = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
])

/**
 * Why a base URL (or any upstream URL) must not be used, or undefined. Judges the hostname exactly as the
 * WHATWG URL parser outputs it, the same parser fetch uses, so `http://2852039166/`, `http://0xa9fea9fe/`
 * and `http://[::ffff:169.254.169.254]/` are seen as the addresses they are. Names are judged again on their
 * resolved addresses at connect time (see guarded-fetch.ts).
 */
export function urlProblem(input: string | URL): string | undefined {
  let url: URL
  try {
    url = typeof input === 'string' ? new URL(input) : input
  } catch {
    return 'is not a valid URL'
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `uses ${url.protocol.replace(/:$/, '')}:, only http and https are allowed`
  if (url.username || url.password) return 'must not contain user:password@'
  const host = url.hostname
  if (!host) return 'has no host'
  if (parseIPv4(host) !== undefined || parseIPv6(host) !== undefined) {
    const reason = blockedAddressReason(host)
    return reason ? `points at ${reason}` : undefined
  }
  const name = host.replace(/\.$/, '')
  if (METADATA_NAMES.has(name)) return 'points at a cloud metadata service'
  return undefined
}

/** `scheme://host[:port]` as the URL parser serializes it: the unit a stored key is bound to. */
export function originOf(url: string): string | undefined {
  try {
    const origin = new URL(url).origin
    return origin === 'null' ? undefined : origin
  } catch {
    return undefined
  }
}
