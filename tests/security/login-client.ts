import { AUTH_COOKIE } from '../../src/security/auth.ts'
import { rawRequest, type RawResponse } from './http.ts'

/** A client of one Juxta: requests come from `from` (a 127.x.y.z source address) with the right Host. */
export class LoginClient {
  constructor(
    readonly url: string,
    readonly from = '127.0.0.1',
    private readonly extraHeaders: Record<string, string> = {},
  ) {}

  get(path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
    return rawRequest(`${this.url}${path}`, {
      localAddress: this.from,
      headers: { host: new URL(this.url).host, ...this.extraHeaders, ...headers },
    })
  }

  /** The login form as a browser page of this server posts it. */
  login(token: string, next = '/settings', headers: Record<string, string> = {}): Promise<RawResponse> {
    return this.form('/login', { token, next }, headers)
  }

  logout(cookie: string | undefined): Promise<RawResponse> {
    return this.form('/logout', {}, cookie ? { cookie } : {})
  }

  form(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<RawResponse> {
    return rawRequest(`${this.url}${path}`, {
      method: 'POST',
      localAddress: this.from,
      headers: {
        host: new URL(this.url).host,
        origin: this.url,
        'sec-fetch-site': 'same-origin',
        'content-type': 'application/x-www-form-urlencoded',
        ...this.extraHeaders,
        ...headers,
      },
      body: new URLSearchParams(fields).toString(),
    })
  }
}

/** The `Set-Cookie` line of the login cookie, or undefined. */
export function loginCookieLine(res: RawResponse): string | undefined {
  const lines = res.headers['set-cookie'] ?? []
  return (Array.isArray(lines) ? lines : [lines]).find((l) => l.startsWith(`${AUTH_COOKIE}=`))
}

/** `juxta_auth=<value>` as a browser would send it back; fails the test when the login set no cookie. */
export function sessionCookie(res: RawResponse): string {
  const line = loginCookieLine(res)
  if (!line) throw new Error(`no login cookie (status ${res.status})`)
  return line.split(';')[0]!
}
