import { directRaw, juxtaCompare, type CompareHandle } from './readers.ts'
import { modelId } from './mock-upstream.ts'
import { kib, mib, ms, row, verdict, type Row } from './report.ts'
import { target, tagFor, type Rig } from './rig.ts'
import type { JuxtaProcess } from './juxta-process.ts'
import { openLoop } from './open-loop.ts'
import { sleep, summarize } from './stats.ts'
import { performance } from 'node:perf_hooks'

/** 1 token/s for two minutes: streams that stay open while memory is read, then get cut. */
export const HOLD_MODELS = ['a', 'b', 'c'].map((s) =>
  modelId({ ttftMs: 0, deltas: 120, intervalMs: 1000, tokensPerChunk: 1 }, s),
)

export interface IdleFootprint {
  rss: number
  heapUsed: number
}

/** RSS of a fresh process that has served nothing yet (read before any forced GC), then heap after GC. */
export async function measureIdle(juxta: JuxtaProcess): Promise<IdleFootprint> {
  const rss = juxta.rssBytes()
  const m = await juxta.memory()
  return { rss, heapUsed: m.heapUsed }
}

/** Waits until Juxta's idle keep-alive connections to the mock have timed out, so they do not blur "idle". */
async function quietPool(rig: Rig): Promise<void> {
  const until = performance.now() + 6000
  while (rig.mock.connections > 16 && performance.now() < until) await sleep(100)
}

/** Figure 6 (held-stream memory) and the mass-abort half of figure 7. */
export async function measureMemory(rig: Rig, fresh: IdleFootprint): Promise<Row[]> {
  const n = rig.quick ? 200 : 1000
  await quietPool(rig)
  const idle = await rig.juxta.memory()
  const tags: string[] = []
  let endedEarly = 0
  const handles = await openLoop(n, 2000, (i): CompareHandle => {
    tags[i] = tagFor('hold')
    const h = juxtaCompare(rig.juxtaAgent, rig.juxta.port, HOLD_MODELS.map(target), tags[i]!)
    void h.done.then(() => endedEarly++)
    return h
  })
  const firsts = await Promise.all(handles.map((h) => Promise.race([h.firstDelta, sleep(15_000).then(() => null)])))
  const missing = firsts.filter((f) => f === null).length
  await sleep(1000)
  const upstreamsOpen = rig.mock.open
  const held = await rig.juxta.memory()
  const heldRss = rig.juxta.rssBytes()
  const early = endedEarly

  // Cut every stream at once and time how long until the mock has seen all upstreams close.
  const cutAt = handles.map((h) => h.disconnect())
  const until = performance.now() + 10_000
  while (rig.mock.open > 0 && performance.now() < until) await sleep(5)
  const lat: number[] = []
  let unclosed = 0
  tags.forEach((tag, i) => {
    const recs = rig.mock.records(tag)
    if (recs.length < HOLD_MODELS.length || recs.some((r) => r.closedAt === null)) unclosed++
    else lat.push(Math.max(...recs.map((r) => r.closedAt!)) - cutAt[i]!)
  })
  await Promise.all(handles.map((h) => h.done))
  await sleep(2000)
  let after = await rig.juxta.memory()
  if (after.heapUsed - idle.heapUsed > 5 * 2 ** 20) {
    await sleep(3000)
    after = await rig.juxta.memory()
  }
  const direct = await directMassAbort(rig, n)
  const heapPer = (held.heapUsed - idle.heapUsed) / n
  const rssPer = (heldRss - idle.rss) / n
  const cut = summarize(lat)
  const broken = missing + early
  const data = {
    n,
    fresh,
    idle,
    held,
    heldRss,
    after,
    upstreamsOpen,
    missingFirstToken: missing,
    endedEarly: early,
    massAbort: cut,
    unclosed,
    directMassAbort: direct,
  }
  return [
    row({
      figure: '6. idle RSS (fresh process)',
      juxta: mib(fresh.rss),
      target: '≤ 60 MiB',
      result: verdict(fresh.rss <= 60 * 2 ** 20),
      note:
        `heap after GC ${mib(fresh.heapUsed)}; ` +
        `after the earlier phases (GC, pool drained): heap ${mib(idle.heapUsed)}, RSS ${mib(idle.rss)}`,
      data,
    }),
    row({
      figure: `6. heap per held 3-target stream (N=${n})`,
      juxta: kib(heapPer),
      target: '≤ 96 KiB',
      result: broken > 0 ? 'FAIL' : verdict(heapPer <= 96 * 1024),
      note:
        `${upstreamsOpen} upstreams open at the mock while held; ` +
        `${missing} streams without a first token, ${early} ended early; ` +
        `heap after GC held ${mib(held.heapUsed)} vs idle ${mib(idle.heapUsed)}`,
    }),
    row({
      figure: `6. RSS per held 3-target stream (N=${n})`,
      juxta: kib(rssPer),
      target: '≤ 192 KiB',
      result: broken > 0 ? 'FAIL' : verdict(rssPer <= 192 * 1024),
      note: `RSS held ${mib(heldRss)} vs idle ${mib(idle.rss)}`,
    }),
    row({
      figure: `7b. mass abort of ${n} streams → upstreams closed`,
      juxta: `p50 ${ms(cut.p50, 1)}, max ${ms(cut.max, 1)}`,
      baseline: `p50 ${ms(direct.lat.p50, 1)}, max ${ms(direct.lat.max, 1)}`,
      added: ms(cut.p50 - direct.lat.p50, 1),
      target: 'p50 ≤ 100 ms',
      result: unclosed > 0 ? 'FAIL' : verdict(cut.p50 <= 100, direct.lat.p50 <= 100),
      note:
        `${unclosed} compares with an upstream still open after 10 s; ` +
        `baseline: the same ${n} × ${HOLD_MODELS.length} streams read straight from the mock by the raw reader ` +
        `and cut by the bench (${direct.unclosed} left open); ` +
        `heap 2–5 s later ${mib(after.heapUsed)} vs idle ${mib(idle.heapUsed)} (T9: ≤ idle + 5 MiB)`,
    }),
  ]
}

/** The mass abort without Juxta: n groups of the same three held streams straight at the mock, each group cut
 * at once. */
async function directMassAbort(rig: Rig, n: number) {
  const groups = await openLoop(n, 2000, () => {
    const tag = tagFor('hold-direct')
    return { tag, streams: HOLD_MODELS.map((m) => directRaw(rig.mockAgent, rig.mock.port, m, tag)) }
  })
  await sleep(1500)
  const cutAt = groups.map((g) => {
    const at = performance.now()
    for (const s of g.streams) s.disconnect()
    return at
  })
  const until = performance.now() + 10_000
  while (rig.mock.open > 0 && performance.now() < until) await sleep(5)
  const lat: number[] = []
  let unclosed = 0
  groups.forEach((g, i) => {
    const recs = rig.mock.records(g.tag)
    if (recs.length < HOLD_MODELS.length || recs.some((r) => r.closedAt === null)) unclosed++
    else lat.push(Math.max(...recs.map((r) => r.closedAt!)) - cutAt[i]!)
  })
  await Promise.all(groups.flatMap((g) => g.streams.map((s) => s.done.catch(() => null))))
  return { lat: summarize(lat), unclosed }
}
