import { directRaw, juxtaCompare, type TokenTrace } from './readers.ts'
import { modelId } from './mock-upstream.ts'
import { ms, row, type Row } from './report.ts'
import { target, tagFor, type Rig } from './rig.ts'
import { openLoop } from './open-loop.ts'
import { runqueueMs } from './juxta-process.ts'
import { shuffle, sleep, summarize } from './stats.ts'

const PACING_MS = 20
const DELTAS = 50
/** 50 tokens/s for one second after a 20 ms TTFT; three per compare. */
export const LOAD_MODELS = ['a', 'b', 'c'].map((s) =>
  modelId({ ttftMs: 20, deltas: DELTAS, intervalMs: PACING_MS, tokensPerChunk: 1 }, s),
)
const STALL_MS = 10 * PACING_MS
const ARRIVALS_MS = 1000

export interface LoadResult {
  streams: number
  errors: number
  stalls: number
  ttft: ReturnType<typeof summarize>
  maxGapMs: number
  wallMs: number
  firstError: string | null
}

export function judge(
  traces: Array<{ trace: TokenTrace; startedAt: number; error: string | null }>,
  wallMs: number,
): LoadResult {
  let errors = 0
  let stalls = 0
  let maxGap = 0
  let firstError: string | null = null
  const ttfts: number[] = []
  for (const { trace, startedAt, error } of traces) {
    if (error || trace.tokens !== DELTAS) {
      errors++
      firstError ??= error ?? `${trace.tokens} of ${DELTAS} tokens`
    }
    if (trace.maxGapMs > STALL_MS) stalls++
    maxGap = Math.max(maxGap, trace.maxGapMs)
    if (trace.firstAt !== null) ttfts.push(trace.firstAt - startedAt)
  }
  return { streams: traces.length, errors, stalls, ttft: summarize(ttfts), maxGapMs: maxGap, wallMs, firstError }
}

async function viaJuxta(rig: Rig, n: number): Promise<LoadResult> {
  const t0 = performance.now()
  const handles = await openLoop(n, ARRIVALS_MS, () =>
    juxtaCompare(rig.juxtaAgent, rig.juxta.port, LOAD_MODELS.map(target), tagFor('load')),
  )
  const outs = await Promise.all(handles.map((h) => h.done))
  return judge(
    outs.flatMap((o) => o.targets.map((trace) => ({ trace, startedAt: o.startedAt, error: o.error }))),
    performance.now() - t0,
  )
}

/** The same arrival schedule straight at the mock: three raw streams per arrival. */
async function direct(rig: Rig, n: number): Promise<LoadResult> {
  const t0 = performance.now()
  const groups = await openLoop(n, ARRIVALS_MS, () => {
    const prompt = tagFor('load')
    return LOAD_MODELS.map((m) => directRaw(rig.mockAgent, rig.mock.port, m, prompt))
  })
  const outs = await Promise.all(groups.flat().map((h) => h.done))
  return judge(
    outs.map((o) => ({ trace: o, startedAt: o.startedAt, error: o.error })),
    performance.now() - t0,
  )
}

export async function settle(rig: Rig): Promise<void> {
  const until = performance.now() + 5000
  while (rig.mock.open > 0 && performance.now() < until) await sleep(20)
  rig.mock.clearRecords()
  await sleep(200)
}

/**
 * Figure 5: N simultaneous 3-target compares at 50 tokens/s per target, open-loop arrivals over 1 s. A step
 * passes with no error, no gap over 10× the pacing, and TTFT p99 within 25 ms of the direct run at the same N.
 */
export async function measureConcurrency(rig: Rig): Promise<Row[]> {
  const steps = rig.quick ? [50, 100] : [50, 100, 200, 300, 400]
  const perStep: Array<{
    n: number
    juxta: LoadResult
    direct: LoadResult
    cpuShare: number
    /** Run-queue waits during the Juxta run: time Juxta / the bench were ready but another process had the CPU. */
    juxtaWaitMs: number
    benchWaitMs: number
    pass: boolean
    directPass: boolean
  }> = []
  // One small warm-up so the first step does not pay for new connections alone.
  await viaJuxta(rig, 10)
  await settle(rig)
  for (const n of steps) {
    const r = {} as { juxta: LoadResult; direct: LoadResult }
    let cpuShare = 0
    let juxtaWaitMs = 0
    let benchWaitMs = 0
    for (const kind of shuffle<'juxta' | 'direct'>(['juxta', 'direct'])) {
      if (kind === 'juxta') {
        const cpu0 = rig.juxta.cpuMs()
        const wait0 = [rig.juxta.runqueueMs(), runqueueMs()]
        r.juxta = await viaJuxta(rig, n)
        cpuShare = (rig.juxta.cpuMs() - cpu0) / r.juxta.wallMs
        juxtaWaitMs = rig.juxta.runqueueMs() - wait0[0]!
        benchWaitMs = runqueueMs() - wait0[1]!
      } else r.direct = await direct(rig, n)
      await settle(rig)
    }
    const directPass = r.direct.errors === 0 && r.direct.stalls === 0
    const pass = r.juxta.errors === 0 && r.juxta.stalls === 0 && r.juxta.ttft.p99 - r.direct.ttft.p99 <= 25
    perStep.push({ n, ...r, cpuShare, juxtaWaitMs, benchWaitMs, pass, directPass })
    rig.log(
      `  N=${n}: Juxta ttft p99 ${ms(r.juxta.ttft.p99, 1)} (direct ${ms(r.direct.ttft.p99, 1)}), ` +
        `max gap ${ms(r.juxta.maxGapMs, 1)} (direct ${ms(r.direct.maxGapMs, 1)}), ` +
        `errors ${r.juxta.errors}/${r.direct.errors}, stalls ${r.juxta.stalls}/${r.direct.stalls}, ` +
        `Juxta CPU ${(cpuShare * 100).toFixed(0)}%, ` +
        `run-queue wait Juxta ${juxtaWaitMs.toFixed(0)} ms / bench ${benchWaitMs.toFixed(0)} ms`,
    )
    if (!pass) break
  }
  const passed = perStep.filter((s) => s.pass).map((s) => s.n)
  const best = passed.length ? Math.max(...passed) : 0
  const directBest = Math.max(0, ...perStep.filter((s) => s.directPass).map((s) => s.n))
  const failed = perStep.find((s) => !s.pass)
  const harness = failed !== undefined && !failed.directPass
  const rows: Row[] = [
    row({
      figure: '5. concurrent 3-target compares sustained',
      juxta: `N=${best}`,
      baseline: `N≥${directBest} raw`,
      target: `N ≥ 300${rig.quick ? ' (quick run stops at 100)' : ''}`,
      result: best >= 300 ? 'pass' : harness ? 'harness-bound' : 'FAIL',
      note: failed
        ? `first failing step N=${failed.n}: ${failed.juxta.errors} errors` +
          `${failed.juxta.firstError ? ` (${failed.juxta.firstError})` : ''}, ` +
          `${failed.juxta.stalls} stalled targets, ` +
          `TTFT p99 ${ms(failed.juxta.ttft.p99, 1)} vs direct ${ms(failed.direct.ttft.p99, 1)}, ` +
          `Juxta CPU ${(failed.cpuShare * 100).toFixed(0)}% of its core, ` +
          `run-queue wait Juxta ${failed.juxtaWaitMs.toFixed(0)} ms / bench ${failed.benchWaitMs.toFixed(0)} ms`
        : `every step passed (largest tried: ${steps[steps.length - 1]})`,
      data: { steps: perStep },
    }),
  ]
  for (const s of perStep) {
    rows.push(
      row({
        figure: `5. N=${s.n}: TTFT p99 / max gap`,
        juxta: `${ms(s.juxta.ttft.p99, 1)} / ${ms(s.juxta.maxGapMs, 0)}`,
        baseline: `${ms(s.direct.ttft.p99, 1)} / ${ms(s.direct.maxGapMs, 0)}`,
        added: ms(s.juxta.ttft.p99 - s.direct.ttft.p99, 1),
        target: 'added ≤ 25 ms, gap ≤ 200 ms',
        result: s.pass ? 'pass' : s.directPass ? 'FAIL' : 'harness-bound',
      }),
    )
  }
  return rows
}
