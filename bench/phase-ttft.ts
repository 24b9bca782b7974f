import { directRaw, directSdk, juxtaCompare } from './readers.ts'
import { modelId } from './mock-upstream.ts'
import { ms, num, row, verdict, type Row } from './report.ts'
import { target, tagFor, type Rig } from './rig.ts'
import { shuffle, summarize } from './stats.ts'

/** Instant mock: the first content delta leaves the mock with the response headers. */
export const TTFT_MODEL = modelId({ ttftMs: 0, deltas: 4, intervalMs: 0, tokensPerChunk: 1 })

type Kind = 'juxta' | 'sdk' | 'raw'

async function once(rig: Rig, kind: Kind): Promise<number> {
  const prompt = tagFor('ttft')
  if (kind === 'juxta') {
    const h = juxtaCompare(rig.juxtaAgent, rig.juxta.port, [target(TTFT_MODEL)], prompt)
    const first = await h.firstDelta
    const out = await h.done
    if (out.error || first === null) throw new Error(`ttft via Juxta: ${out.error ?? 'no delta'}`)
    return first - h.startedAt
  }
  const out =
    kind === 'sdk'
      ? await directSdk(rig.sdk, TTFT_MODEL, prompt)
      : await directRaw(rig.mockAgent, rig.mock.port, TTFT_MODEL, prompt).done
  if (out.error || out.firstAt === null) throw new Error(`ttft direct ${kind}: ${out.error ?? 'no delta'}`)
  return out.firstAt - out.startedAt
}

/** Figure 1: added TTFT, per round Juxta − direct, rounds in random order, warm-up discarded. */
export async function measureTtft(rig: Rig): Promise<Row[]> {
  const rounds = rig.quick ? 60 : 320
  const warm = rig.quick ? 10 : 40
  const got: Record<Kind, number[]> = { juxta: [], sdk: [], raw: [] }
  let cpu0 = 0
  for (let r = 0; r < warm + rounds; r++) {
    if (r === warm) cpu0 = rig.juxta.cpuMs()
    const sample = {} as Record<Kind, number>
    for (const kind of shuffle<Kind>(['juxta', 'sdk', 'raw'])) sample[kind] = await once(rig, kind)
    if (r >= warm) for (const k of ['juxta', 'sdk', 'raw'] as const) got[k].push(sample[k])
  }
  const cpuPerRequest = (rig.juxta.cpuMs() - cpu0) / rounds
  const j = summarize(got.juxta)
  const s = summarize(got.sdk)
  const addedSdk = summarize(got.juxta.map((v, i) => v - got.sdk[i]!))
  const addedRaw = summarize(got.juxta.map((v, i) => v - got.raw[i]!))
  const raw = summarize(got.raw)
  const data = {
    rounds,
    warm,
    juxta: j,
    sdk: s,
    raw,
    addedVsSdk: addedSdk,
    addedVsRaw: addedRaw,
    juxtaCpuMsPerRequest: cpuPerRequest,
  }
  return [
    row({
      figure: '1. added TTFT p50 (API stream)',
      juxta: ms(j.p50),
      baseline: `${ms(s.p50)} sdk`,
      added: ms(addedSdk.p50),
      ratio: num(j.p50 / s.p50),
      target: 'added ≤ 1 ms',
      result: verdict(addedSdk.p50 <= 1),
      data,
    }),
    row({
      figure: '1. added TTFT p99 (API stream)',
      juxta: ms(j.p99),
      baseline: `${ms(s.p99)} sdk`,
      added: ms(addedSdk.p99),
      ratio: num(j.p99 / s.p99),
      target: 'added ≤ 5 ms',
      result: verdict(addedSdk.p99 <= 5),
    }),
    row({
      figure: '1b. added TTFT vs raw reader p50/p99',
      juxta: `${ms(j.p50)} / ${ms(j.p99)}`,
      baseline: `${ms(raw.p50)} / ${ms(raw.p99)} raw`,
      added: `${ms(addedRaw.p50)} / ${ms(addedRaw.p99)}`,
      target: 'info (same client code both sides)',
      result: 'info',
    }),
    row({
      figure: '1c. Juxta CPU per 1-target request',
      juxta: ms(cpuPerRequest),
      target: '≤ 1.5 ms',
      result: verdict(cpuPerRequest <= 1.5),
      note: '/proc CPU of the Juxta process over the measured TTFT rounds (instant mock, 4 tokens) ÷ rounds',
    }),
  ]
}
