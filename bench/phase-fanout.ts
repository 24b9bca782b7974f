import { directSdk, juxtaCompare } from './readers.ts'
import { modelId } from './mock-upstream.ts'
import { ms, num, row, verdict, type Row } from './report.ts'
import { target, tagFor, type Rig } from './rig.ts'
import { shuffle, summarize } from './stats.ts'

/** Eight targets with TTFT 50…400 ms and 20 deltas at 10 ms: the slowest ends ≈ 590 ms after the request. */
export const FANOUT_MODELS = Array.from({ length: 8 }, (_, i) =>
  modelId({ ttftMs: 50 * (i + 1), deltas: 20, intervalMs: 10, tokensPerChunk: 1 }, `f${i}`),
)
const SLOWEST = FANOUT_MODELS[FANOUT_MODELS.length - 1]!

type Kind = 'juxta8' | 'direct8' | 'slowest'

async function wall(rig: Rig, kind: Kind): Promise<number> {
  const prompt = tagFor('fanout')
  if (kind === 'juxta8') {
    const out = await juxtaCompare(rig.juxtaAgent, rig.juxta.port, FANOUT_MODELS.map(target), prompt).done
    if (out.error || out.doneAt === null) throw new Error(`fan-out via Juxta: ${out.error}`)
    return out.doneAt - out.startedAt
  }
  const started = performance.now()
  const outs = await Promise.all(
    (kind === 'slowest' ? [SLOWEST] : FANOUT_MODELS).map((m) => directSdk(rig.sdk, m, prompt)),
  )
  const failed = outs.find((o) => o.error)
  if (failed) throw new Error(`fan-out direct: ${failed.error}`)
  return Math.max(...outs.map((o) => o.endedAt)) - started
}

/** Figure 3: one 8-target compare through Juxta (to its `done` event) ÷ the slowest target read alone. */
export async function measureFanout(rig: Rig): Promise<Row[]> {
  const rounds = rig.quick ? 2 : 6
  const ratios = { juxta: [] as number[], direct: [] as number[] }
  const walls = { juxta8: [] as number[], direct8: [] as number[], slowest: [] as number[] }
  for (let r = 0; r < rounds + 1; r++) {
    const w = {} as Record<Kind, number>
    for (const kind of shuffle<Kind>(['juxta8', 'direct8', 'slowest'])) w[kind] = await wall(rig, kind)
    if (r === 0) continue
    for (const k of ['juxta8', 'direct8', 'slowest'] as const) walls[k].push(w[k])
    ratios.juxta.push(w.juxta8 / w.slowest)
    ratios.direct.push(w.direct8 / w.slowest)
  }
  const j = summarize(ratios.juxta)
  const d = summarize(ratios.direct)
  const wj = summarize(walls.juxta8)
  const ws = summarize(walls.slowest)
  return [
    row({
      figure: '3. fan-out 8 targets ÷ slowest alone (median)',
      juxta: num(j.p50, 4),
      baseline: `${num(d.p50, 4)} sdk×8`,
      added: ms(wj.p50 - ws.p50),
      ratio: num(j.p50, 4),
      target: '≤ 1.02',
      result: verdict(j.p50 <= 1.02, d.p50 <= 1.02),
      note:
        `${rounds} rounds; walls p50: Juxta ${ms(wj.p50, 1)}, slowest alone ${ms(ws.p50, 1)}; ` +
        `worst Juxta ratio ${num(j.max, 4)}`,
      data: {
        rounds,
        ratiosJuxta: j,
        ratiosDirect8: d,
        walls: { juxta8: wj, direct8: summarize(walls.direct8), slowest: ws },
      },
    }),
  ]
}
