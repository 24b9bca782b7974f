import { request } from 'node:http'

export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/**
 * One HTTP request with exactly the headers given (fetch would not let a test set Host, or would add Origin
 * and Sec-Fetch-* itself), for the Host, Origin and auth checks.
 */
export interface RawRequestOptions {
  method?: string
  headers?: Record<string, string>
  body?: string
  /**
   * The source address of the connection: any 127.x.y.z works on Linux loopback, so tests can be several
   * clients of the same server (the login throttle counts per client address).
   */
  localAddress?: string
}

export function rawRequest(url: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  const u = new URL(url)
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        method: options.method ?? 'GET',
        localAddress: options.localAddress,
        headers: {
          ...(options.body !== undefined ? { 'content-length': String(Buffer.byteLength(options.body)) } : {}),
          ...options.headers,
        },
      },
      (res) => {
        const parts: Buffer[] = []
        res.on('data', (c: Buffer) => parts.push(c))
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }),
        )
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    if (options.body !== undefined) req.write(options.body)
    req.end()
  })
}

/** A same-origin form POST as a browser page of `base` would send it. */
export function formPost(
  base: string,
  path: string,
  fields: Record<string, string | string[]>,
  method = 'POST',
): Promise<RawResponse> {
  const body = new URLSearchParams()
  for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one)
  return rawRequest(`${base}${path}`, {
    method,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      origin: base,
      'sec-fetch-site': 'same-origin',
      'hx-request': 'true',
    },
    body: body.toString(),
  })
}
