import { directRaw, directSdk, juxtaCompare, type TokenTrace } from './readers.ts'
import { modelId } from './mock-upstream.ts'
import { num, row, verdict, type Row } from './report.ts'
import { target, tagFor, type Rig } from './rig.ts'
import { median, shuffle } from './stats.ts'

const DELTAS = 20_000
const QUICK_DELTAS = 5_000
export const THROUGHPUT_MODELS = [DELTAS, QUICK_DELTAS].map((n) =>
  modelId({ ttftMs: 0, deltas: n, intervalMs: 0, tokensPerChunk: 1 }),
)

type Kind = 'juxta' | 'sdk' | 'raw'

interface Sample {
  tokPerS: number
  cpuUsPerToken: number | null
  /** Share of one core the bench process (mock + reader) used meanwhile: near 1 means harness-bound. */
  benchLoad: number
}

const rate = (t: TokenTrace, startedAt: number, expected: number, what: string) => {
  if (t.tokens !== expected || t.lastAt === null) throw new Error(`${what}: ${t.tokens} of ${expected} tokens`)
  return t.tokens / ((t.lastAt - startedAt) / 1000)
}

async function once(rig: Rig, kind: Kind, model: string, expected: number): Promise<Sample> {
  const prompt = tagFor('throughput')
  const cpu0 = rig.juxta.cpuMs()
  const own0 = process.cpuUsage()
  const t0 = performance.now()
  let tokPerS: number
  if (kind === 'juxta') {
    const out = await juxtaCompare(rig.juxtaAgent, rig.juxta.port, [target(model)], prompt).done
    if (out.error) throw new Error(`throughput via Juxta: ${out.error}`)
    tokPerS = rate(out.targets[0]!, out.startedAt, expected, 'throughput via Juxta')
  } else if (kind === 'sdk') {
    const out = await directSdk(rig.sdk, model, prompt)
    if (out.error) throw new Error(`throughput direct: ${out.error}`)
    tokPerS = rate(out, out.startedAt, expected, 'throughput direct sdk')
  } else {
    const out = await directRaw(rig.mockAgent, rig.mock.port, model, prompt).done
    if (out.error) throw new Error(`throughput raw: ${out.error}`)
    tokPerS = rate(out, out.startedAt, expected, 'throughput direct raw')
  }
  const wallMs = performance.now() - t0
  const own = process.cpuUsage(own0)
  return {
    tokPerS,
    cpuUsPerToken: kind === 'juxta' ? ((rig.juxta.cpuMs() - cpu0) * 1000) / expected : null,
    benchLoad: (own.user + own.system) / 1000 / wallMs,
  }
}

/** Figure 4: one stream from an instant mock, tokens/s through Juxta vs the direct SDK reader, and CPU/token. */
export async function measureThroughput(rig: Rig): Promise<Row[]> {
  const expected = rig.quick ? QUICK_DELTAS : DELTAS
  const model = THROUGHPUT_MODELS[rig.quick ? 1 : 0]!
  const rounds = rig.quick ? 1 : 5
  // A server that has run a while has its relay path optimised by V8; the first rounds of a fresh process still
  // run it in the interpreter or baseline code (per round: ~9, ~6.5, then 2-4 µs a token), so two are discarded.
  const warm = rig.quick ? 1 : 2
  const got: Record<Kind, Sample[]> = { juxta: [], sdk: [], raw: [] }
  for (let r = 0; r < rounds + warm; r++) {
    for (const kind of shuffle<Kind>(['juxta', 'sdk', 'raw'])) {
      const s = await once(rig, kind, model, expected)
      if (r >= warm) got[kind].push(s)
    }
  }
  const j = median(got.juxta.map((s) => s.tokPerS))
  const sdk = median(got.sdk.map((s) => s.tokPerS))
  const raw = median(got.raw.map((s) => s.tokPerS))
  const cpu = median(got.juxta.map((s) => s.cpuUsPerToken!))
  const benchLoad = median(got.juxta.map((s) => s.benchLoad))
  const harness = benchLoad > 0.9
  return [
    row({
      figure: '4. relay throughput (tok/s)',
      juxta: num(j, 0),
      baseline: `${num(sdk, 0)} sdk`,
      ratio: num(j / sdk),
      target: 'ratio ≥ 1.0',
      result: j / sdk >= 1.0 ? 'pass' : harness ? 'harness-bound' : 'FAIL',
      note:
        `${expected} deltas, median of ${rounds} after ${warm} warm-up rounds; ` +
        `raw reader straight at the mock: ${num(raw, 0)} tok/s; ` +
        `bench process busy ${num(benchLoad * 100, 0)}% of a core while reading Juxta`,
      data: { expected, rounds, warm, juxta: got.juxta, sdk: got.sdk, raw: got.raw },
    }),
    row({
      figure: '4. Juxta CPU per relayed token',
      juxta: `${num(cpu, 1)} µs`,
      target: '≤ 5 µs',
      result: verdict(cpu <= 5),
    }),
  ]
}
