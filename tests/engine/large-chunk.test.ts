import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  chunk,
  DONE_FRAME,
  finishChunk,
  sseData,
  startFakeUpstream,
  type FakeUpstream,
} from '../helpers/fake-upstream.ts'
import { compareResults, fakeConfig, postCompare, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import type { TargetResult } from '../../src/domain/types.ts'

// One 10 MiB SSE line: handled quickly (ok, or a clear error past the output cap), without hurting the other
// column, and Juxta keeps serving.

const TEN_MIB = 10 * 1024 * 1024
// One event whose bytes trickle in for several idle timeouts: 30 pieces of 4 KiB, 100 ms apart.
const TRICKLE_PIECES = 30
const TRICKLE_IDLE_MS = 1000

let fake: FakeUpstream
let juxta: RunningJuxta
let roomy: RunningJuxta

beforeAll(async () => {
  fake = await startFakeUpstream()
  fake.script('small', { kind: 'text', deltas: ['fine'] })
  fake.script('too-big', { kind: 'huge-chunk', bytes: 17 * 1024 * 1024 })
  const piece = 'y'.repeat(4096)
  const event = sseData(chunk('trickle', { content: piece.repeat(TRICKLE_PIECES) }))
  const at = (i: number) => Math.floor((i * event.length) / TRICKLE_PIECES)
  const cuts = Array.from({ length: TRICKLE_PIECES }, (_, i) => event.slice(at(i), at(i + 1)))
  const usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }
  fake.script('trickle', {
    kind: 'raw',
    frames: [
      ...cuts.flatMap((c) => [c, { delayMs: 100 }]),
      sseData(finishChunk('trickle', 'stop', { usage })),
      DONE_FRAME,
    ],
  })
  const providers = {
    h: { base_url: fake.url, models: ['fault:huge', 'small', 'too-big'] },
    t: { base_url: fake.url, idle_timeout_ms: TRICKLE_IDLE_MS, models: ['trickle', 'small'] },
  }
  juxta = await startJuxta({ config: fakeConfig(providers) })
  // The same upstream with room for the whole answer.
  roomy = await startJuxta({ config: fakeConfig(providers, { max_output_chars: 12_000_000 }) })
})

afterAll(async () => {
  await juxta?.close()
  await roomy?.close()
  await fake?.close()
})

describe('a 10 MiB chunk', () => {
  // How fast it is parsed is a benchmark figure (`npm run bench`), not a test assertion.
  it('with room for it: the whole text arrives with its usage, next to an unharmed column', async () => {
    const res = await postCompare(roomy.url, { prompt: 'big', targets: ['h/fault:huge', 'h/small'] })
    expect(res.status).toBe(200)
    const [huge, small] = res.body.results as TargetResult[]
    expect(huge!.status).toBe('ok')
    expect(huge!.text.length).toBe(TEN_MIB)
    expect(huge!.usage.source).toBe('reported')
    expect(small).toMatchObject({ status: 'ok', text: 'fine' })
  })

  it('past the default output cap: a clear error, the text up to the cap kept', async () => {
    const [huge, small] = await compareResults(juxta.url, 'big', ['h/fault:huge', 'h/small'])
    expect(huge!.status).toBe('error')
    expect(huge!.error).toMatchObject({ kind: 'upstream', status: null })
    expect(huge!.error!.message).toContain('character limit')
    expect(huge!.text.length).toBe(juxta.ctx.settings.max_output_chars)
    expect(small).toMatchObject({ status: 'ok', text: 'fine' })
  })

  it('an event over the 16 MiB limit fails its column with a clear error', async () => {
    const [big, small] = await compareResults(roomy.url, 'bigger', ['h/too-big', 'h/small'])
    expect(big!.status).toBe('error')
    expect(big!.error).toMatchObject({ kind: 'upstream', status: null })
    expect(big!.error!.message).toContain('larger than 16 MiB')
    expect(small).toMatchObject({ status: 'ok', text: 'fine' })
  })

  it('is not idle while the bytes of one event keep arriving, for longer than the idle timeout', async () => {
    const [slow, small] = await compareResults(roomy.url, 'trickle', ['t/trickle', 't/small'])
    expect(slow).toMatchObject({ status: 'ok', finish_reason: 'stop' })
    expect(slow!.text).toBe('y'.repeat(4096 * TRICKLE_PIECES))
    expect(slow!.timing.total_ms).toBeGreaterThan(TRICKLE_IDLE_MS)
    expect(small).toMatchObject({ status: 'ok', text: 'fine' })
  })

  it('leaves the server serving', async () => {
    const [r] = await compareResults(juxta.url, 'after', ['h/small'])
    expect(r).toMatchObject({ status: 'ok', text: 'fine' })
    const targets = await fetch(`${juxta.url}/api/targets`)
    expect(targets.status).toBe(200)
  })
})
