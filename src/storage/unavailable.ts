/**
 * Whether an error means the database cannot be reached right now (a server restarting, a cut connection, too
 * many connections), as opposed to a write it refuses. The first kind is worth waiting out: the recorder keeps
 * such writes and tries again, and a page that needs the database answers 503 instead of 500.
 */
export function isStoreUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string') {
    // SQLSTATE class 08 (connection exception); 57P01-57P03 (admin shutdown, crash shutdown, cannot connect
    // now); 53300 (too many connections).
    if (/^08/.test(code) || ['57P01', '57P02', '57P03', '53300'].includes(code)) return true
    if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(code))
      return true
  }
  if (err instanceof AggregateError && err.errors.some(isStoreUnavailable)) return true
  // node-postgres says these in words only.
  return WORDS.some((w) => err.message.includes(w))
}

const WORDS = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection closed',
  'Query read timeout',
]
