/** A server-sent event as received: `event` is undefined for plain `data:` events. */
export interface SSEFrame {
  event?: string
  data: string
  id?: string
}

/**
 * A tiny SSE reader for tests: splits on blank lines, joins multi-line `data`, skips comments. Deliberately
 * independent of the code under test.
 */
export async function* readSSE(body: ReadableStream<Uint8Array>): AsyncGenerator<SSEFrame> {
  const decoder = new TextDecoder()
  let buffer = ''
  const reader = body.getReader()
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n')
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const frame = parseBlock(block)
        if (frame) yield frame
      }
    }
    const rest = parseBlock((buffer + decoder.decode()).trim())
    if (rest) yield rest
  } finally {
    reader.releaseLock()
  }
}

function parseBlock(block: string): SSEFrame | undefined {
  if (!block) return undefined
  let event: string | undefined
  let id: string | undefined
  const data: string[] = []
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'event') event = value
    else if (field === 'data') data.push(value)
    else if (field === 'id') id = value
  }
  if (data.length === 0 && event === undefined) return undefined
  return { ...(event !== undefined ? { event } : {}), data: data.join('\n'), ...(id !== undefined ? { id } : {}) }
}

/** Reads a whole SSE response into frames. */
export async function collectSSE(response: Response): Promise<SSEFrame[]> {
  if (!response.body) return []
  const frames: SSEFrame[] = []
  for await (const frame of readSSE(response.body)) frames.push(frame)
  return frames
}
