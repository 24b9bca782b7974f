import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface KeyUpstream {
  /** Base URL with `/v1`. */
  url: string
  origin: string
  /** Every request: path and headers. */
  requests: Array<{ method: string; path: string; headers: IncomingHttpHeaders }>
  close(): Promise<void>
}

/**
 * An OpenAI-compatible upstream that checks the key: the right one gets a model list and a small streamed
 * answer; any other gets 401 echoing the key it received, as real upstreams do. `listModels: false` answers
 * 404 on /models (servers that cannot list).
 */
export async function startKeyUpstream(options: {
  key: string | null
  models?: string[]
  listModels?: boolean
}): Promise<KeyUpstream> {
  const requests: KeyUpstream['requests'] = []
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers })
    req.resume()
    req.on('end', () => {
      const given = String(req.headers.authorization ?? '').replace(/^Bearer\s+/i, '')
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(body))
      }
      if (options.key !== null && given !== options.key) {
        return json(401, {
          error: {
            message: `Incorrect API key provided: ${given}.`,
            type: 'invalid_request_error',
            code: 'invalid_api_key',
          },
        })
      }
      const path = new URL(req.url ?? '/', 'http://x').pathname
      if (req.method === 'GET' && path.endsWith('/models')) {
        if (options.listModels === false) return json(404, { error: { message: 'not found' } })
        return json(200, { object: 'list', data: (options.models ?? ['m1']).map((id) => ({ id, object: 'model' })) })
      }
      if (req.method === 'POST' && path.endsWith('/chat/completions')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        const base = { id: 'c', object: 'chat.completion.chunk', model: 'm1' }
        const chunk = (delta: object, extra: object = {}) =>
          `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: null }], ...extra })}\n\n`
        res.write(chunk({ role: 'assistant', content: 'pong' }))
        const usage = { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 }
        res.write(
          `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage })}\n\n`,
        )
        return res.end('data: [DONE]\n\n')
      }
      json(404, { error: { message: 'no route' } })
    })
  })
  const address = await new Promise<AddressInfo>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(server.address() as AddressInfo)),
  )
  const origin = `http://127.0.0.1:${address.port}`
  return {
    url: `${origin}/v1`,
    origin,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
