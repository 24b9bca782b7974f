import { performance } from 'node:perf_hooks'
import { modelId } from './mock-upstream.ts'
import { ms, num, row, type Row } from './report.ts'
import { target, tagFor, type Rig } from './rig.ts'
import { sleep } from './stats.ts'

/** Four instant targets (first token at once, 5 deltas, no gaps): what is left is Juxta's own cost per cell. */
export const STUDY_MODELS = Array.from({ length: 4 }, (_, i) =>
  modelId({ ttftMs: 0, deltas: 5, intervalMs: 0, tokensPerChunk: 1 }, `s${i}`),
)

const PROMPTS = 100
const REPEATS = 5
const CELLS = PROMPTS * STUDY_MODELS.length * REPEATS

interface StudyState {
  status: string
  started_at: string | null
  finished_at: string | null
  progress: { done: number; total: number; errors: number }
}

/**
 * A 2,000-cell study (100 prompts × 4 targets × 5 repeats, 16 in flight) on instant upstreams: wall time from
 * POST /api/studies to `done`, and the Juxta process's CPU per cell (each cell is a real run: request, stream,
 * pricing, history write, study cell write).
 */
export async function measureStudy(rig: Rig): Promise<Row[]> {
  const base = `http://127.0.0.1:${rig.juxta.port}`
  const tag = tagFor('study')
  const prompts = Array.from({ length: PROMPTS }, (_, i) => `${tag} prompt ${i}`)
  const cpu0 = rig.juxta.cpuMs()
  const started = performance.now()
  const res = await fetch(`${base}/api/studies`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: tag, prompts, targets: STUDY_MODELS.map(target), repeats: REPEATS, concurrency: 16 }),
  })
  if (res.status !== 202) throw new Error(`study refused: ${res.status} ${await res.text()}`)
  const { study_id } = (await res.json()) as { study_id: string }
  let view: StudyState
  let polls = 0
  for (;;) {
    // Polled like a page would, at 4 Hz: each GET reads the cells and (at most once a second) the summary.
    await sleep(250)
    polls++
    view = (await (await fetch(`${base}/api/studies/${study_id}`)).json()) as StudyState
    if (view.status !== 'running') break
  }
  const wall = performance.now() - started
  const cpu = rig.juxta.cpuMs() - cpu0
  const inside = Date.parse(view.finished_at ?? '') - Date.parse(view.started_at ?? '')
  // The final summary on a finished study (bootstrap included), read once more.
  const summaryStart = performance.now()
  await (await fetch(`${base}/api/studies/${study_id}/export.json`)).arrayBuffer()
  const exportMs = performance.now() - summaryStart
  return [
    row({
      figure: `11. study: ${CELLS.toLocaleString('en-US')} cells on instant upstreams, wall time`,
      juxta: ms(inside, 0),
      baseline: '—',
      added: '—',
      ratio: '—',
      target: 'info',
      result: view.status === 'done' && view.progress.errors === 0 ? 'info' : 'FAIL',
      note:
        `${view.status}, ${view.progress.done}/${view.progress.total} cells, ${view.progress.errors} errors; ` +
        `${num(CELLS / (inside / 1000), 0)} cells/s; client wall incl. 250 ms polling ${ms(wall, 0)}; ` +
        `export.json ${ms(exportMs, 0)}`,
      data: { cells: CELLS, wallMs: wall, studyMs: inside, polls, exportMs },
    }),
    row({
      figure: '11. study: Juxta CPU per cell',
      juxta: ms(cpu / CELLS, 3),
      baseline: '—',
      added: '—',
      ratio: '—',
      target: 'info',
      result: 'info',
      note: `${ms(cpu, 0)} CPU for ${CELLS} cells (real runs in history, priced, study cells written)`,
      data: { cpuMs: cpu, perCellMs: cpu / CELLS },
    }),
  ]
}
