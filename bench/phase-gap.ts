import { directSdk, juxtaCompare } from './readers.ts'
import { modelId } from './mock-upstream.ts'
import { ms, row, verdict, type Row } from './report.ts'
import { target, tagFor, type Rig } from './rig.ts'
import { shuffle, summarize } from './stats.ts'

const PACING_MS = 20
export const GAP_MODEL = modelId({ ttftMs: 0, deltas: 64, intervalMs: PACING_MS, tokensPerChunk: 1 })

/**
 * Gap excess per token: the reader's gap minus the mock's own send gap for the same two tokens (the mock
 * records when it wrote each frame, on the same clock), so timer jitter in the mock cancels out. The gap
 * minus the nominal 20 ms is kept too.
 */
function excess(arrivals: number[], sent: number[]): { vsSent: number[]; vsNominal: number[] } {
  const vsSent: number[] = []
  const vsNominal: number[] = []
  const n = Math.min(arrivals.length, sent.length)
  for (let i = 1; i < n; i++) {
    const gap = arrivals[i]! - arrivals[i - 1]!
    vsSent.push(gap - (sent[i]! - sent[i - 1]!))
    vsNominal.push(gap - PACING_MS)
  }
  return { vsSent, vsNominal }
}

async function once(rig: Rig, kind: 'juxta' | 'sdk') {
  const prompt = tagFor('gap', true)
  let arrivals: number[]
  if (kind === 'juxta') {
    const out = await juxtaCompare(rig.juxtaAgent, rig.juxta.port, [target(GAP_MODEL)], prompt, true).done
    if (out.error) throw new Error(`gap via Juxta: ${out.error}`)
    arrivals = out.targets[0]!.arrivals!
  } else {
    const out = await directSdk(rig.sdk, GAP_MODEL, prompt, { traced: true })
    if (out.error) throw new Error(`gap direct: ${out.error}`)
    arrivals = out.arrivals!
  }
  const sent = rig.mock.records(prompt)[0]?.sentAt ?? []
  if (arrivals.length !== 64 || sent.length !== 64)
    throw new Error(`gap ${kind}: ${arrivals.length} tokens read, ${sent.length} sent`)
  return excess(arrivals, sent)
}

/** Figure 2: added inter-token gap at c=1, 64 deltas paced at 20 ms, Juxta and direct SDK interleaved. */
export async function measureGap(rig: Rig): Promise<Row[]> {
  const rounds = rig.quick ? 2 : 6
  const pooled = {
    juxta: { vsSent: [] as number[], vsNominal: [] as number[] },
    sdk: { vsSent: [] as number[], vsNominal: [] as number[] },
  }
  for (let r = 0; r < rounds + 1; r++) {
    for (const kind of shuffle<'juxta' | 'sdk'>(['juxta', 'sdk'])) {
      const e = await once(rig, kind)
      if (r === 0) continue // warm-up
      pooled[kind].vsSent.push(...e.vsSent)
      pooled[kind].vsNominal.push(...e.vsNominal)
    }
  }
  const j = summarize(pooled.juxta.vsSent)
  const s = summarize(pooled.sdk.vsSent)
  const data = {
    rounds,
    juxtaVsSent: j,
    sdkVsSent: s,
    juxtaVsNominal: summarize(pooled.juxta.vsNominal),
    sdkVsNominal: summarize(pooled.sdk.vsNominal),
  }
  return [
    row({
      figure: '2. added inter-token gap p50',
      juxta: ms(j.p50, 3),
      baseline: `${ms(s.p50, 3)} sdk`,
      target: '≤ 0.2 ms',
      result: verdict(j.p50 <= 0.2, s.p50 <= 0.2),
      note:
        `gap − the mock's own send gap, pooled over ${rounds}×63 gaps; ` +
        `max ${ms(j.max)} via Juxta, ${ms(s.max)} direct`,
      data,
    }),
    row({
      figure: '2. added inter-token gap p99',
      juxta: ms(j.p99, 3),
      baseline: `${ms(s.p99, 3)} sdk`,
      target: '≤ 1 ms',
      result: verdict(j.p99 <= 1, s.p99 <= 1),
    }),
  ]
}
