import type { Readable } from 'node:stream'

const bodies = new WeakMap<Response, Readable>()

/**
 * A Response whose body is a Node stream, read as it is instead of through a web ReadableStream: the upstream
 * relay path (see security/guarded-fetch.ts, `streamingFetch`). `response.body` of such a response is null.
 */
export function withNodeBody(response: Response, body: Readable): Response {
  bodies.set(response, body)
  return response
}

/** The Node stream behind a response made by `withNodeBody`, if it is one. */
export function nodeBodyOf(response: Response): Readable | undefined {
  return bodies.get(response)
}
