/** Shapes of API keys that upstreams echo back ("Incorrect API key provided: sk-…"). */
const KEY_PATTERNS = [
  /\b(?:sk|pk|rk|gsk|xai|csk|nvapi|sk-or-v1|sk-ant)[-_][A-Za-z0-9_\-*.]{6,}/g,
  /\bAIza[0-9A-Za-z_-]{20,}/g,
  /\b(Bearer)\s+[^\s"',}]+/gi,
]

/** Removes every known secret and anything shaped like an API key from a text shown, logged or stored. */
export function redactSecrets(text: string, secrets: Iterable<string | undefined> = []): string {
  let out = text
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]')
  }
  for (const pattern of KEY_PATTERNS) {
    out = out.replace(pattern, (_match, bearer?: string) =>
      typeof bearer === 'string' && /^bearer$/i.test(bearer) ? `${bearer} [redacted]` : '[redacted]',
    )
  }
  return out
}
