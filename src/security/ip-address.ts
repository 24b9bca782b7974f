import { isIPv4, isIPv6 } from 'node:net'

/**
 * Which IP addresses Juxta refuses to send a request to, whatever the base URL says. Loopback and private
 * ranges stay allowed (Ollama, vLLM and llama.cpp live there); link-local, cloud metadata, unspecified,
 * multicast and reserved addresses never are, and neither are IPv6 forms that smuggle an IPv4 address in
 * (IPv4-mapped, IPv4-compatible, NAT64), because each of those is a known SSRF-guard bypass.
 */

interface Range4 {
  base: number
  bits: number
  reason: string
}

const v4 = (dotted: string, bits: number, reason: string): Range4 => ({ base: parseIPv4(dotted)!, bits, reason })

const BLOCKED_V4: Range4[] = [
  v4('0.0.0.0', 8, 'an unspecified ("this network") address'),
  v4('169.254.0.0', 16, 'a link-local address (cloud metadata lives at 169.254.169.254)'),
  v4('100.100.100.200', 32, 'a cloud metadata address (Alibaba Cloud)'),
  v4('168.63.129.16', 32, 'a cloud host address (Azure WireServer)'),
  v4('192.0.0.192', 32, 'a cloud metadata address (Oracle Cloud)'),
  v4('224.0.0.0', 4, 'a multicast address'),
  v4('240.0.0.0', 4, 'a reserved address'),
]

interface Range6 {
  base: bigint
  bits: number
  reason: string
}

const v6 = (text: string, bits: number, reason: string): Range6 => ({ base: parseIPv6(text)!, bits, reason })

const BLOCKED_V6: Range6[] = [
  v6('::', 128, 'the unspecified address'),
  v6('::ffff:0:0', 96, 'an IPv4-mapped IPv6 address'),
  v6('::', 96, 'an IPv4-compatible IPv6 address'),
  v6('64:ff9b::', 96, 'a NAT64 address'),
  v6('64:ff9b:1::', 48, 'a NAT64 address'),
  v6('fe80::', 10, 'a link-local address'),
  v6('fec0::', 10, 'a site-local address'),
  v6('fd00:ec2::', 32, 'a cloud metadata address (AWS)'),
  v6('ff00::', 8, 'a multicast address'),
]

/** Dotted-decimal IPv4 (the only form the URL parser and the resolver output) to a 32-bit number. */
export function parseIPv4(text: string): number | undefined {
  if (!isIPv4(text)) return undefined
  return text.split('.').reduce((n, part) => n * 256 + Number(part), 0)
}

/** IPv6 text (with or without brackets, zone, or an embedded dotted IPv4 tail) to a 128-bit number. */
export function parseIPv6(text: string): bigint | undefined {
  let s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text
  const zone = s.indexOf('%')
  if (zone >= 0) s = s.slice(0, zone)
  if (!isIPv6(s)) return undefined
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s)
  if (dotted) {
    const n = parseIPv4(dotted[1]!)!
    s = `${s.slice(0, dotted.index)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined]
  const headParts = head ? head.split(':') : []
  const tailParts = tail ? tail.split(':') : []
  const missing = 8 - headParts.length - tailParts.length
  const groups = tail === undefined ? headParts : [...headParts, ...Array<string>(missing).fill('0'), ...tailParts]
  if (groups.length !== 8) return undefined
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n)
}

const inRange4 = (ip: number, r: Range4) => r.bits === 0 || ip >>> (32 - r.bits) === r.base >>> (32 - r.bits)
const inRange6 = (ip: bigint, r: Range6) => ip >> BigInt(128 - r.bits) === r.base >> BigInt(128 - r.bits)

/**
 * Why an IP address must not be contacted, or undefined when it may be. Accepts what the URL parser puts in
 * `hostname` (`[::1]`) and what the resolver returns (`::1`, `fe80::1%eth0`). Anything that is not an IP
 * address is refused too: callers resolve names first.
 */
export function blockedAddressReason(address: string): string | undefined {
  const n4 = parseIPv4(address)
  if (n4 !== undefined) return BLOCKED_V4.find((r) => inRange4(n4, r))?.reason
  const n6 = parseIPv6(address)
  if (n6 === undefined) return 'not an IP address'
  if (n6 === 1n) return undefined // ::1, loopback (inside the IPv4-compatible range below)
  const hit = BLOCKED_V6.find((r) => inRange6(n6, r))
  if (hit) return hit.reason
  // 6to4 (2002::/16) carries an IPv4 address in bits 16..47: judge that address.
  if (n6 >> 112n === 0x2002n) {
    const inner = Number((n6 >> 80n) & 0xffffffffn)
    const reason = BLOCKED_V4.find((r) => inRange4(inner, r))?.reason
    if (reason) return `a 6to4 address wrapping ${reason}`
  }
  return undefined
}

/** True for 127.0.0.0/8, ::1 and the name localhost: the machine Juxta runs on. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '')
  if (h === 'localhost' || h.endsWith('.localhost')) return true
  const n4 = parseIPv4(h)
  if (n4 !== undefined) return n4 >>> 24 === 127
  return parseIPv6(h) === 1n
}

/** True for loopback and private-network addresses (RFC 1918, CGNAT, IPv6 unique-local): local model servers. */
export function isLocalNetworkHost(hostname: string): boolean {
  if (isLoopbackHost(hostname)) return true
  const n4 = parseIPv4(hostname)
  if (n4 !== undefined) {
    return [v4('10.0.0.0', 8, ''), v4('172.16.0.0', 12, ''), v4('192.168.0.0', 16, ''), v4('100.64.0.0', 10, '')].some(
      (r) => inRange4(n4, r),
    )
  }
  const n6 = parseIPv6(hostname)
  return n6 !== undefined && n6 >> 121n === 0x7en // fc00::/7
}
