import { modelId, TOKEN_TEXT } from './mock-upstream.ts'
import { num, row, verdict, type Row } from './report.ts'
import { target, tagFor, type Rig } from './rig.ts'
import { postSse } from './sse-client.ts'

const TOKENS = 10_000
export const PAGE_MODEL = modelId({ ttftMs: 0, deltas: TOKENS, intervalMs: 0, tokensPerChunk: 1 })
const ANSWER_BYTES = TOKENS * Buffer.byteLength(TOKEN_TEXT)

/**
 * Figure 8: bytes the page route sends the browser for a 10,000-token answer ÷ the answer's bytes. The page
 * route (`POST /runs`, form-encoded prompt + targets, answering text/event-stream) is the hook: until it
 * exists the row says so instead of showing a number.
 */
export async function measurePage(rig: Rig): Promise<Row[]> {
  const body = new URLSearchParams({ prompt: tagFor('page'), targets: target(PAGE_MODEL) }).toString()
  const origin = `http://127.0.0.1:${rig.juxta.port}`
  // Sent like htmx from the page itself: same origin, so CSRF checks that look at Origin let it through.
  const headers = { origin, referer: `${origin}/`, 'sec-fetch-site': 'same-origin', 'hx-request': 'true' }
  let events = 0
  const out = await postSse(
    rig.juxtaAgent,
    rig.juxta.port,
    '/runs',
    body,
    'application/x-www-form-urlencoded',
    () => events++,
    headers,
  ).done
  const base = { figure: '8. page stream bytes ÷ answer bytes', target: '≤ 3' }
  if (out.status === 404 || out.status === 405)
    return [row({ ...base, juxta: 'not measured (page route missing)', result: 'not measured' })]
  if (out.status !== 200 || !out.contentType.startsWith('text/event-stream') || out.error) {
    const why = out.error ?? `HTTP ${out.status}, ${out.contentType || 'no content-type'}`
    return [
      row({
        ...base,
        juxta: `not measured (${why})`,
        result: 'not measured',
        note: 'POST /runs answered, but not with an event stream the bench can read',
      }),
    ]
  }
  const ratio = out.bytes / ANSWER_BYTES
  return [
    row({
      ...base,
      juxta: num(ratio),
      baseline: `${ANSWER_BYTES} B answer`,
      ratio: num(ratio),
      result: verdict(ratio <= 3),
      note: `${out.bytes} bytes in ${events} SSE events for ${TOKENS} tokens`,
      data: { bytes: out.bytes, events, answerBytes: ANSWER_BYTES },
    }),
  ]
}
