import { isLoopbackHost } from './ip-address.ts'
import { MIN_TOKEN_LENGTH } from './auth.ts'

export const MIN_SECRET_LENGTH = 16

/** Who may reach this server and under which names; part of the app context. */
export interface AccessOptions {
  /** JUXTA_AUTH_TOKEN; when set every request needs it. */
  authToken?: string
  /** Host names (besides localhost and IP literals) the Host header may carry. */
  allowedHosts: string[]
  /** JUXTA_TRUST_PROXY: believe X-Forwarded-For and X-Forwarded-Proto (Juxta sits behind a TLS proxy). */
  trustProxy?: boolean
}

export interface AccessSettings {
  host: string
  access: AccessOptions
  /** JUXTA_SECRET, for encrypting stored keys. */
  secret?: string
}

/** `1`/`true`/`yes` or `0`/`false`/`no`/empty; anything else is a mistake worth stopping for. */
function readFlag(name: string, value: string | undefined): boolean | string {
  const v = (value ?? '').trim().toLowerCase()
  if (['1', 'true', 'yes'].includes(v)) return true
  if (['', '0', 'false', 'no'].includes(v)) return false
  return `${name} must be 1 or 0 (got "${value!.slice(0, 40)}")`
}

/**
 * Reads HOST, JUXTA_AUTH_TOKEN, JUXTA_SECRET, JUXTA_ALLOWED_HOSTS and JUXTA_TRUST_PROXY. Returns the reason to
 * refuse to start when they would expose keys: any bind address other than loopback needs a token, since
 * anyone who reaches the port could otherwise spend every configured key.
 */
export function readAccessEnv(
  env: Readonly<Record<string, string | undefined>>,
): { ok: true; settings: AccessSettings } | { ok: false; message: string } {
  const host = env.HOST?.trim() || '127.0.0.1'
  const token = env.JUXTA_AUTH_TOKEN ?? undefined
  const secret = env.JUXTA_SECRET ?? undefined
  if (token !== undefined && token !== '') {
    if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
      return {
        ok: false,
        message:
          `JUXTA_AUTH_TOKEN must be at least ${MIN_TOKEN_LENGTH} characters without spaces ` +
          `(it has ${token.length}); generate one with: openssl rand -hex 32`,
      }
    }
  } else if (!isLoopbackHost(host)) {
    return {
      ok: false,
      message:
        `Refusing to start: HOST=${host} makes Juxta reachable from other machines, ` +
        'and anyone who reaches it could spend your API keys.\n' +
        `Set JUXTA_AUTH_TOKEN to a random secret of at least ${MIN_TOKEN_LENGTH} characters ` +
        '(e.g. JUXTA_AUTH_TOKEN=$(openssl rand -hex 32)), ' +
        'or leave HOST unset to listen on 127.0.0.1 only. Use TLS (a reverse proxy) when the network is not trusted.',
    }
  }
  if (secret !== undefined && secret !== '' && secret.length < MIN_SECRET_LENGTH) {
    return {
      ok: false,
      message:
        `JUXTA_SECRET must be at least ${MIN_SECRET_LENGTH} characters (it has ${secret.length}); ` +
        'generate one with: openssl rand -hex 32',
    }
  }
  const trustProxy = readFlag('JUXTA_TRUST_PROXY', env.JUXTA_TRUST_PROXY)
  if (typeof trustProxy === 'string') return { ok: false, message: trustProxy }
  const allowedHosts = (env.JUXTA_ALLOWED_HOSTS ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean)
  const bindName = host.replace(/^\[|\]$/g, '')
  if (!/^[\d.]+$/.test(bindName) && !bindName.includes(':')) allowedHosts.push(bindName.toLowerCase())
  return {
    ok: true,
    settings: {
      host,
      access: { authToken: token || undefined, allowedHosts, trustProxy },
      secret: secret || undefined,
    },
  }
}
