import { directSdk, juxtaCompare } from './readers.ts'
import { modelId, type MockUpstream } from './mock-upstream.ts'
import { ms, row, verdict, type Row } from './report.ts'
import { target, tagFor, type Rig } from './rig.ts'
import { shuffle, sleep, summarize } from './stats.ts'

/** Long paced streams (10 s) that are always cut short. */
export const ABORT_MODELS = ['a', 'b', 'c'].map((s) =>
  modelId({ ttftMs: 0, deltas: 500, intervalMs: 20, tokensPerChunk: 1 }, s),
)

/** Resolves with the last close time of `count` upstream requests tagged `tag`, or null after `timeoutMs`. */
export async function closedBy(
  mock: MockUpstream,
  tag: string,
  count: number,
  timeoutMs: number,
): Promise<number | null> {
  const until = performance.now() + timeoutMs
  for (;;) {
    const recs = mock.records(tag)
    if (recs.length >= count && recs.every((r) => r.closedAt !== null)) return Math.max(...recs.map((r) => r.closedAt!))
    if (performance.now() > until) return null
    await sleep(1)
  }
}

async function waitOpen(mock: MockUpstream, tag: string, count: number): Promise<void> {
  const until = performance.now() + 2000
  while (mock.records(tag).length < count && performance.now() < until) await sleep(1)
}

async function once(rig: Rig, kind: 'juxta' | 'sdk'): Promise<number> {
  const prompt = tagFor('abort')
  if (kind === 'juxta') {
    const h = juxtaCompare(rig.juxtaAgent, rig.juxta.port, ABORT_MODELS.map(target), prompt)
    await h.firstDelta
    await waitOpen(rig.mock, prompt, ABORT_MODELS.length)
    await sleep(30) // mid-stream on every target
    const at = h.disconnect()
    const closed = await closedBy(rig.mock, prompt, ABORT_MODELS.length, 3000)
    await h.done
    return closed === null ? Number.POSITIVE_INFINITY : closed - at
  }
  const controller = new AbortController()
  let at = 0
  const out = directSdk(rig.sdk, ABORT_MODELS[0]!, prompt, {
    signal: controller.signal,
    onFirst: () =>
      void sleep(30).then(() => {
        at = performance.now()
        controller.abort()
      }),
  })
  await out
  const closed = await closedBy(rig.mock, prompt, 1, 3000)
  return closed === null ? Number.POSITIVE_INFINITY : closed - at
}

/** Figure 7: client disconnects mid-stream → all of that compare's upstream connections closed at the mock. */
export async function measureAbort(rig: Rig): Promise<Row[]> {
  const rounds = rig.quick ? 5 : 20
  const got = { juxta: [] as number[], sdk: [] as number[] }
  for (let r = 0; r < rounds + 1; r++) {
    for (const kind of shuffle<'juxta' | 'sdk'>(['juxta', 'sdk'])) {
      const v = await once(rig, kind)
      if (r > 0) got[kind].push(v)
    }
  }
  const j = summarize(got.juxta)
  const s = summarize(got.sdk)
  return [
    row({
      figure: '7. abort → upstreams closed (max)',
      juxta: ms(j.max),
      baseline: `${ms(s.max)} sdk`,
      added: ms(j.max - s.max),
      target: '≤ 100 ms',
      result: verdict(j.max <= 100, s.max <= 100),
      note:
        `${rounds} rounds of a 3-target compare cut mid-stream; ` +
        `p50 ${ms(j.p50)} via Juxta, ${ms(s.p50)} for the SDK's own abort`,
      data: { rounds, juxta: j, sdk: s },
    }),
  ]
}
