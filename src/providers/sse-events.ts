import { ProviderError } from './errors.ts'

/** Longest single SSE event accepted from an upstream; far beyond any real delta, well within memory. */
export const MAX_EVENT_BYTES = 16 * 1024 * 1024

/** Bytes scanned between two turns of the event loop given to other streams and their timers. */
export const YIELD_EVERY_BYTES = 256 * 1024

const LF = 0x0a
const CR = 0x0d

export interface SseEventsOptions {
  /** An event longer than this fails the target with a clear error. Default MAX_EVENT_BYTES. */
  maxEventBytes?: number
  /** Called for every chunk that arrives, before it ends an event: bytes of a huge event are life too. */
  onBytes?: () => void
  /** Default YIELD_EVERY_BYTES. */
  yieldEveryBytes?: number
}

/**
 * Re-chunks an event-stream body so that every chunk ends at an SSE event boundary (a blank line). The
 * openai SDK's decoder re-scans its whole buffer for every chunk it gets and copies the unparsed rest once
 * per event (openai/openai-node#1913): a 64 KiB read holding 400 events cost ~13 MB of copying, and a 10 MiB
 * event arriving in 4 KiB pieces cost quadratic time (26 s, past the idle timeout). One event per chunk keeps
 * both linear. Only a partial event is ever held back, which the SDK could not have used either, so no
 * latency is added.
 *
 * Fair to the other streams of a run: each byte is looked at once (the scan state carries across chunks and
 * line ends are found with the native `indexOf`, so a 10 MiB line is not walked byte by byte in JavaScript),
 * a partial event is joined only once it is complete, and after every `yieldEveryBytes` the transform lets
 * the event loop turn, so sibling sockets and idle timers run while a huge event streams in.
 */
export function sseEvents(options: SseEventsOptions = {}): TransformStream<Uint8Array, Uint8Array> {
  const maxEventBytes = options.maxEventBytes ?? MAX_EVENT_BYTES
  const yieldEvery = options.yieldEveryBytes ?? YIELD_EVERY_BYTES
  let held: Uint8Array[] = []
  let heldBytes = 0
  let sinceYield = 0
  // Scanner state carried across chunks: the current line has bytes; the last byte seen was a CR.
  let inLine = false
  let afterCR = false

  const emit = (controller: TransformStreamDefaultController<Uint8Array>, piece: Uint8Array) => {
    if (piece.length === 0 && heldBytes === 0) return
    controller.enqueue(heldBytes === 0 ? piece : concat([...held, piece], heldBytes + piece.length))
    held = []
    heldBytes = 0
  }

  return new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, controller) {
      options.onBytes?.()
      let start = 0
      let nextLF = -2
      let nextCR = -2
      for (let i = 0; i < chunk.length; ) {
        if (afterCR) {
          afterCR = false
          // The LF of a CRLF: the line already ended at the CR.
          if (chunk[i] === LF) {
            i++
            continue
          }
        }
        if (nextLF !== -1 && nextLF < i) nextLF = chunk.indexOf(LF, i)
        if (nextCR !== -1 && nextCR < i) nextCR = chunk.indexOf(CR, i)
        const end = nextLF === -1 ? nextCR : nextCR === -1 ? nextLF : Math.min(nextLF, nextCR)
        if (end === -1) {
          inLine = true
          break
        }
        const byte = chunk[end]
        const blank = !inLine && end === i
        inLine = false
        i = end + 1
        afterCR = byte === CR
        if (!blank) continue
        // An empty line: the event ends here. Take the LF of a CRLF along when it is in this chunk.
        if (byte === CR && chunk[i] === LF) {
          i++
          afterCR = false
        }
        emit(controller, chunk.subarray(start, i))
        start = i
      }
      const rest = chunk.subarray(start)
      if (rest.length > 0) {
        held.push(rest)
        heldBytes += rest.length
        if (heldBytes > maxEventBytes) {
          held = []
          heldBytes = 0
          const message = `upstream sent an event larger than ${maxEventBytes / 1024 / 1024} MiB`
          controller.error(new ProviderError({ kind: 'upstream', message, status: null }))
          return
        }
      }
      sinceYield += chunk.length
      if (sinceYield >= yieldEvery) {
        sinceYield = 0
        await new Promise<void>((resolve) => setImmediate(resolve))
      }
    },
    flush(controller) {
      if (heldBytes > 0) controller.enqueue(concat(held, heldBytes))
    },
  })
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
