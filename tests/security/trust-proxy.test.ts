import { afterEach, describe, expect, it } from 'vitest'
import { startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { readAccessEnv } from '../../src/security/access-env.ts'
import { LoginClient, loginCookieLine, sessionCookie } from './login-client.ts'

const TOKEN = 'proxy-test-token-0123456789abcdef0123'
const running: RunningJuxta[] = []

afterEach(async () => {
  for (const j of running.splice(0)) await j.close()
})

async function start(trustProxy: boolean): Promise<RunningJuxta> {
  const access = { authToken: TOKEN, allowedHosts: [], trustProxy }
  const juxta = await startJuxta({ config: { providers: {} }, access })
  running.push(juxta)
  return juxta
}

/** What a TLS-terminating proxy in front of Juxta adds: the browser's address and scheme. */
const viaProxy = (address: string) => ({ 'x-forwarded-for': `203.0.113.99, ${address}`, 'x-forwarded-proto': 'https' })

describe('JUXTA_TRUST_PROXY=1', () => {
  it('makes the cookie Secure when the proxy says https, and not when it says http', async () => {
    const juxta = await start(true)
    const client = new LoginClient(juxta.url)
    expect(loginCookieLine(await client.login(TOKEN, '/', viaProxy('198.51.100.7')))).toMatch(/; Secure/)
    expect(loginCookieLine(await client.login(TOKEN, '/', { 'x-forwarded-proto': 'http' }))).not.toMatch(/Secure/)
    const out = await client.logout(undefined)
    expect(loginCookieLine(out)).not.toMatch(/Secure/)
    const outTls = await client.form('/logout', {}, viaProxy('198.51.100.7'))
    expect(loginCookieLine(outTls)).toMatch(/; Secure/)
  })

  it('throttles by the forwarded client address: a blocked client does not block others behind the proxy', async () => {
    const juxta = await start(true)
    // Every request arrives from the proxy's own address (127.0.0.1 here).
    const client = new LoginClient(juxta.url)
    for (let i = 0; i < 5; i++) {
      expect((await client.login(`wrong-${i}`, '/', viaProxy('198.51.100.7'))).status).toBe(401)
    }
    expect((await client.login(TOKEN, '/', viaProxy('198.51.100.7'))).status).toBe(429)
    // The client cannot escape by putting another address first: the proxy appended the real one last.
    expect((await client.login(TOKEN, '/', { 'x-forwarded-for': '192.0.2.1, 198.51.100.7' })).status).toBe(429)
    expect((await client.login(TOKEN, '/', viaProxy('198.51.100.8'))).status).toBe(303)
    expect(juxta.logs.some((l) => /wrong tokens from 198\.51\.100\.7 /.test(l))).toBe(true)
  })

  it('reads a forwarded address with a port as that address', async () => {
    const juxta = await start(true)
    const client = new LoginClient(juxta.url)
    for (let i = 0; i < 5; i++) await client.login(`wrong-${i}`, '/', { 'x-forwarded-for': `198.51.100.9:${4000 + i}` })
    expect((await client.login(TOKEN, '/', { 'x-forwarded-for': '198.51.100.9' })).status).toBe(429)
    expect((await client.login(TOKEN, '/', { 'x-forwarded-for': '[2001:db8::5]:4711' })).status).toBe(303)
    expect(juxta.logs.some((l) => /wrong tokens from 198\.51\.100\.9 /.test(l))).toBe(true)
  })

  it('counts an IPv6 client by its /64', async () => {
    const juxta = await start(true)
    const client = new LoginClient(juxta.url)
    for (let i = 0; i < 5; i++) await client.login(`wrong-${i}`, '/', { 'x-forwarded-for': `2001:db8:1:2::${i + 1}` })
    expect((await client.login(TOKEN, '/', { 'x-forwarded-for': '2001:db8:1:2:ffff::9' })).status).toBe(429)
    expect((await client.login(TOKEN, '/', { 'x-forwarded-for': '2001:db8:1:3::1' })).status).toBe(303)
  })

  it('falls back to the socket address when X-Forwarded-For is not an address, and never logs it raw', async () => {
    const juxta = await start(true)
    const client = new LoginClient(juxta.url, '127.0.0.31')
    for (let i = 0; i < 5; i++) {
      await client.login(`wrong-${i}`, '/', { 'x-forwarded-for': i % 2 ? 'forged-name' : '10.0.0.1, forged 999.1.1.1' })
    }
    expect((await client.login(TOKEN)).status).toBe(429)
    expect(juxta.logs.some((l) => /wrong tokens from 127\.0\.0\.31 /.test(l))).toBe(true)
    expect(juxta.logs.join('\n')).not.toContain('forged')
  })
})

describe('without JUXTA_TRUST_PROXY', () => {
  it('ignores X-Forwarded-Proto: no Secure cookie over plain http', async () => {
    const juxta = await start(false)
    const client = new LoginClient(juxta.url)
    const res = await client.login(TOKEN, '/', viaProxy('198.51.100.7'))
    expect(res.status).toBe(303)
    expect(loginCookieLine(res)).not.toMatch(/Secure/)
  })

  it('ignores X-Forwarded-For: a guesser cannot pose as a new client per request', async () => {
    const juxta = await start(false)
    const client = new LoginClient(juxta.url, '127.0.0.32')
    for (let i = 0; i < 5; i++) await client.login(`wrong-${i}`, '/', { 'x-forwarded-for': `198.51.100.${i}` })
    expect((await client.login(TOKEN, '/', { 'x-forwarded-for': '198.51.100.200' })).status).toBe(429)
    expect(juxta.logs.some((l) => /wrong tokens from 127\.0\.0\.32 /.test(l))).toBe(true)
    // Another real client is unaffected.
    const other = new LoginClient(juxta.url, '127.0.0.33')
    const ok = await other.login(TOKEN)
    expect((await other.get('/settings', { cookie: sessionCookie(ok) })).status).toBe(200)
  })
})

describe('readAccessEnv JUXTA_TRUST_PROXY', () => {
  it('is off unless set to 1', () => {
    const off = readAccessEnv({})
    expect(off.ok && off.settings.access.trustProxy).toBe(false)
    for (const value of ['1', 'true', 'yes']) {
      const r = readAccessEnv({ JUXTA_TRUST_PROXY: value })
      expect(r.ok && r.settings.access.trustProxy, value).toBe(true)
    }
    for (const value of ['0', 'false', '']) {
      const r = readAccessEnv({ JUXTA_TRUST_PROXY: value })
      expect(r.ok && r.settings.access.trustProxy, value).toBe(false)
    }
  })

  it('refuses a value it cannot read rather than guessing', () => {
    const r = readAccessEnv({ JUXTA_TRUST_PROXY: 'nginx' })
    expect(r.ok).toBe(false)
    expect(!r.ok && r.message).toMatch(/JUXTA_TRUST_PROXY must be 1 or 0/)
  })
})
