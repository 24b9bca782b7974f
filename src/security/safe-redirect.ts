const MAX_NEXT_LENGTH = 2048

/** Control characters, spaces and backslashes: the URL parser strips or rewrites them, browsers too. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: they are refused
const AMBIGUOUS = /[\u0000-\u0020\u007f\\]/

/**
 * Where to send a browser after login: a path (and query) on this server, else `/`.
 *
 * `next` is parsed with the WHATWG URL parser, the one browsers use for `Location`, against this server's
 * origin, and accepted only when it stays on that origin. That parser drops tabs and newlines and reads `\`
 * as `/`, so `/\t/evil.example` and `/\evil.example` become `//evil.example`: another host. The raw text is
 * refused before parsing when it holds such characters, and the decoded path is refused when it would start
 * like `//` or `/\` once a proxy or a later hop decodes it (`/%09/evil.example`, `/%5Cevil.example`). The answer is
 * the parser's own serialisation of path and query, never the input, and never a fragment.
 */
export function safeNext(next: unknown, origin = 'http://juxta.invalid'): string {
  if (typeof next !== 'string' || next.length > MAX_NEXT_LENGTH) return '/'
  if (!next.startsWith('/') || AMBIGUOUS.test(next)) return '/'
  let url: URL
  let base: URL
  try {
    base = new URL(origin)
    url = new URL(next, base)
  } catch {
    return '/'
  }
  if (url.origin !== base.origin || url.username !== '' || url.password !== '') return '/'
  let decoded: string
  try {
    decoded = decodeURIComponent(url.pathname)
  } catch {
    return '/'
  }
  if (!/^\/(?![/\\])/.test(decoded) || AMBIGUOUS.test(decoded.replace(/ /g, ''))) return '/'
  const target = `${url.pathname}${url.search}`
  // The answer must land where it was judged to land when read back as a Location.
  return new URL(target, base).origin === base.origin ? target : '/'
}
