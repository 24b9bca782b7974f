import { describe, expect, it } from 'vitest'
import { blockedAddressReason, isLocalNetworkHost, isLoopbackHost, parseIPv6 } from '../../src/security/ip-address.ts'
import { originOf, urlProblem } from '../../src/security/base-url.ts'
import { FORBIDDEN_URLS } from './forbidden-urls.ts'

describe('base URL check at save time', () => {
  it.each(FORBIDDEN_URLS)('refuses %s', (url) => {
    expect(urlProblem(url)).toBeTypeOf('string')
  })

  it.each([
    'http://127.0.0.1:11434/v1',
    'http://localhost:8080/v1',
    'http://[::1]:1234/v1',
    'http://10.0.0.5:8000/v1',
    'http://192.168.1.20:11434/v1',
    'http://172.16.3.4/v1',
    'http://100.64.1.2:8080/v1',
    'http://[fd12:3456::1]:8000/v1',
    'https://api.openai.com/v1',
    'https://openrouter.ai/api/v1',
  ])('allows %s (public, loopback and private servers)', (url) => {
    expect(urlProblem(url)).toBeUndefined()
  })

  it('judges the hostname the URL parser outputs, e.g. the IPv4-mapped form LibreChat missed', () => {
    const url = new URL('http://[::ffff:169.254.169.254]/')
    expect(url.hostname).toBe('[::ffff:a9fe:a9fe]')
    expect(blockedAddressReason(url.hostname)).toMatch(/IPv4-mapped/)
    expect(urlProblem('http://2852039166/')).toMatch(/link-local/)
  })

  it('binds keys to the origin the parser serializes', () => {
    expect(originOf('HTTPS://API.Example.com:443/v1/')).toBe('https://api.example.com')
    expect(originOf('http://127.0.0.1:8080/v1')).toBe('http://127.0.0.1:8080')
    expect(originOf('file:///x')).toBeUndefined()
    expect(originOf('not a url')).toBeUndefined()
  })
})

describe('address check at connect time (resolver output)', () => {
  it.each([
    ['169.254.169.254', /link-local/],
    ['169.254.0.1', /link-local/],
    ['100.100.100.200', /metadata/],
    ['0.0.0.0', /unspecified/],
    ['::', /unspecified/],
    ['::ffff:169.254.169.254', /IPv4-mapped/],
    ['::ffff:127.0.0.1', /IPv4-mapped/],
    ['64:ff9b::a9fe:a9fe', /NAT64/],
    ['fd00:ec2::254', /metadata/],
    ['fe80::1%eth0', /link-local/],
    ['ff02::1', /multicast/],
    ['239.1.2.3', /multicast/],
    ['255.255.255.255', /reserved/],
  ])('refuses %s', (address, reason) => {
    expect(blockedAddressReason(address)).toMatch(reason)
  })

  it.each(['127.0.0.1', '127.8.9.10', '::1', '10.1.2.3', '192.168.0.10', '8.8.8.8', '2606:4700::1111', 'fd12::1'])(
    'allows %s',
    (address) => {
      expect(blockedAddressReason(address)).toBeUndefined()
    },
  )

  it('refuses what is not an address at all', () => {
    expect(blockedAddressReason('example.com')).toBe('not an IP address')
  })

  it('parses IPv6 in every notation to the same number', () => {
    expect(parseIPv6('::ffff:169.254.169.254')).toBe(parseIPv6('[::ffff:a9fe:a9fe]'))
    expect(parseIPv6('0:0:0:0:0:0:0:1')).toBe(1n)
    expect(parseIPv6('1::')).toBe(1n << 112n)
    expect(parseIPv6('not-ipv6')).toBeUndefined()
  })

  it('knows loopback and local-network hosts (offered for discovery)', () => {
    expect(isLoopbackHost('localhost')).toBe(true)
    expect(isLoopbackHost('[::1]')).toBe(true)
    expect(isLoopbackHost('127.0.0.2')).toBe(true)
    expect(isLoopbackHost('0.0.0.0')).toBe(false)
    expect(isLoopbackHost('10.0.0.1')).toBe(false)
    expect(isLocalNetworkHost('192.168.1.1')).toBe(true)
    expect(isLocalNetworkHost('[fd00::1]')).toBe(true)
    expect(isLocalNetworkHost('8.8.8.8')).toBe(false)
    expect(isLocalNetworkHost('api.openai.com')).toBe(false)
  })
})
