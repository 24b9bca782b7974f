import { ProviderError } from './errors.ts'

/** Longest single SSE event accepted from an upstream; far beyond any real delta, well within memory. */
export const MAX_EVENT_BYTES = 16 * 1024 * 1024

const LF = 0x0a
const CR = 0x0d
const BOM = 0xfeff

/** One server-sent event: its `event:` name (null when none) and its `data:` lines joined by `\n`. */
export interface SseMessage {
  event: string | null
  data: string
}

export interface SseParserOptions {
  /** An event longer than this fails the target with a clear error. Default MAX_EVENT_BYTES. */
  maxEventBytes?: number
}

/**
 * An incremental event-stream parser fed with the body's bytes as they arrive, calling `onEvent` for every
 * complete event (a comment-only event, e.g. a keep-alive, is no event). Linear in the bytes whatever the
 * cut points: each network chunk is decoded once (a streaming decoder keeps a character cut between two
 * chunks), each character is scanned once (line ends found with the native `indexOf`, the scan state carried
 * across chunks), and a partial event is held as pieces joined only once it is complete. Events are views
 * into their chunk's text: no copy and no decoder call per event (`npm run bench`, CPU per relayed token).
 * Field rules are the openai SDK's (`data:` lines joined by `\n`, one leading space dropped, CR, LF and CRLF
 * line ends), so a body reads the same as through the SDK's own Stream.
 */
export class SseParser {
  private readonly maxEventBytes: number
  private readonly decoder = new TextDecoder()
  private held: string[] = []
  private heldChars = 0
  /** UTF-8 bytes of `held`, counted only once they may reach the limit (-1 before). */
  private heldBytes = -1
  // Scanner state carried across chunks: the current line has characters; the last one seen was a CR.
  private inLine = false
  private afterCR = false

  constructor(
    private readonly onEvent: (message: SseMessage) => void,
    options: SseParserOptions = {},
  ) {
    this.maxEventBytes = options.maxEventBytes ?? MAX_EVENT_BYTES
  }

  /** Parses `chunk`; throws a ProviderError when one event grows past the limit. Rethrows what onEvent throws. */
  push(chunk: Uint8Array): void {
    this.scan(this.decoder.decode(chunk, { stream: true }))
  }

  /** The body ended: an unterminated last event still counts (as it does for the SDK). */
  end(): void {
    const rest = this.decoder.decode()
    if (rest) this.scan(rest)
    if (this.heldChars === 0) return
    this.dispatch('')
  }

  private scan(text: string): void {
    let start = 0
    let nextLF = -2
    let nextCR = -2
    for (let i = 0; i < text.length; ) {
      if (this.afterCR) {
        this.afterCR = false
        // The LF of a CRLF: the line already ended at the CR.
        if (text.charCodeAt(i) === LF) {
          i++
          continue
        }
      }
      if (nextLF !== -1 && nextLF < i) nextLF = text.indexOf('\n', i)
      if (nextCR !== -1 && nextCR < i) nextCR = text.indexOf('\r', i)
      const end = nextLF === -1 ? nextCR : nextCR === -1 ? nextLF : Math.min(nextLF, nextCR)
      if (end === -1) {
        this.inLine = true
        break
      }
      const char = text.charCodeAt(end)
      const blank = !this.inLine && end === i
      this.inLine = false
      i = end + 1
      this.afterCR = char === CR
      if (!blank) continue
      // An empty line: the event ends here. Take the LF of a CRLF along when it is in this chunk.
      if (char === CR && text.charCodeAt(i) === LF) {
        i++
        this.afterCR = false
      }
      this.dispatch(text.slice(start, i))
      start = i
    }
    if (start < text.length) {
      const piece = text.slice(start)
      this.held.push(piece)
      this.heldChars += piece.length
      // A UTF-16 unit takes at most three bytes: the exact count only once it may matter, then piece by piece.
      if (this.heldChars * 3 > this.maxEventBytes) {
        this.heldBytes =
          this.heldBytes < 0
            ? this.held.reduce((n, p) => n + Buffer.byteLength(p, 'utf8'), 0)
            : this.heldBytes + Buffer.byteLength(piece, 'utf8')
      }
      if (this.heldBytes > this.maxEventBytes) {
        this.held = []
        this.heldChars = 0
        this.heldBytes = -1
        throw new ProviderError({
          kind: 'upstream',
          message: `upstream sent an event larger than ${this.maxEventBytes / 1024 / 1024} MiB`,
          status: null,
        })
      }
    }
  }

  private dispatch(piece: string): void {
    let text = piece
    if (this.heldChars > 0) {
      this.held.push(piece)
      text = this.held.join('')
      this.held = []
      this.heldChars = 0
      this.heldBytes = -1
    }
    const message = parseEvent(text)
    if (message) this.onEvent(message)
  }
}

/** The fields of one event's text (its lines up to the blank line that ends it), or null when it has none. */
export function parseEvent(text: string): SseMessage | null {
  let event: string | null = null
  let data: string | null = null
  let nextLF = -2
  let nextCR = -2
  for (let i = 0; i < text.length; ) {
    if (nextLF !== -1 && nextLF < i) nextLF = text.indexOf('\n', i)
    if (nextCR !== -1 && nextCR < i) nextCR = text.indexOf('\r', i)
    let end = nextLF === -1 ? nextCR : nextCR === -1 ? nextLF : Math.min(nextLF, nextCR)
    if (end === -1) end = text.length
    const next = text.charCodeAt(end) === CR && text.charCodeAt(end + 1) === LF ? end + 2 : end + 1
    // A byte-order mark opening a line is dropped, as the SDK does (it decodes each line on its own).
    if (text.charCodeAt(i) === BOM && end > i + 1) i++
    if (end === i) {
      // A blank line ends the event; one before any field is the LF of a CRLF cut from the previous read.
      if (event !== null || data !== null) break
      i = next
      continue
    }
    if (text.charCodeAt(i) !== 0x3a) {
      const colon = text.indexOf(':', i)
      const nameEnd = colon === -1 || colon > end ? end : colon
      let valueStart = nameEnd === end ? end : nameEnd + 1
      if (text.charCodeAt(valueStart) === 0x20 && valueStart < end) valueStart++
      const name = text.slice(i, nameEnd)
      if (name === 'data') {
        const value = text.slice(valueStart, end)
        data = data === null ? value : `${data}\n${value}`
      } else if (name === 'event') event = text.slice(valueStart, end)
    }
    i = next
  }
  // As the SDK: an empty `event:` alone is no event either.
  if (!event && data === null) return null
  return { event, data: data ?? '' }
}
