import { ProviderError } from './errors.ts'

/** Longest single SSE event accepted from an upstream; far beyond any real delta, well within memory. */
export const MAX_EVENT_BYTES = 16 * 1024 * 1024

const LF = 0x0a
const CR = 0x0d

/**
 * Re-chunks an event-stream body so that every chunk ends at an SSE event boundary (a blank line). The
 * openai SDK's decoder re-scans its whole buffer for every chunk it gets and copies the unparsed rest once
 * per event (openai/openai-node#1913): a 64 KiB read holding 400 events cost ~13 MB of copying, and a 10 MiB
 * event arriving in 4 KiB pieces cost quadratic time (26 s, past the idle timeout). One event per chunk keeps
 * both linear. Only a partial event is ever held back, which the SDK could not have used either, so no
 * latency is added. An event longer than `maxEventBytes` fails the target with a clear error.
 */
export function sseEvents(maxEventBytes = MAX_EVENT_BYTES): TransformStream<Uint8Array, Uint8Array> {
  let held: Uint8Array[] = []
  let heldBytes = 0
  // Scanner state carried across chunks.
  let lineLength = 0
  let afterCR = false

  const emit = (controller: TransformStreamDefaultController<Uint8Array>, piece: Uint8Array) => {
    if (piece.length === 0 && heldBytes === 0) return
    controller.enqueue(heldBytes === 0 ? piece : concat([...held, piece], heldBytes + piece.length))
    held = []
    heldBytes = 0
  }

  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      let start = 0
      for (let i = 0; i < chunk.length; i++) {
        const byte = chunk[i]!
        if (byte === LF && afterCR) {
          // The LF of a CRLF: the line already ended at the CR.
          afterCR = false
          continue
        }
        afterCR = byte === CR
        if (byte !== LF && byte !== CR) {
          lineLength++
          continue
        }
        if (lineLength > 0) {
          lineLength = 0
          continue
        }
        // An empty line: the event ends here. Take the LF of a CRLF along when it is in this chunk.
        let end = i + 1
        if (byte === CR && chunk[end] === LF) {
          end++
          i++
          afterCR = false
        }
        emit(controller, chunk.subarray(start, end))
        start = end
      }
      const rest = chunk.subarray(start)
      if (rest.length === 0) return
      held.push(rest)
      heldBytes += rest.length
      if (heldBytes > maxEventBytes) {
        held = []
        heldBytes = 0
        controller.error(new ProviderError({ kind: 'upstream', message: `upstream sent an event larger than ${maxEventBytes / 1024 / 1024} MiB`, status: null }))
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
