import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { readSSE, type SSEFrame } from '../helpers/sse.ts'
import { getRun, type Instance, query, startRun, startTeamRig, type TeamRig, waitFor } from './team-rig.ts'

// Two real Juxta processes on one PostgreSQL and one Redis, calling one slow loopback upstream.
let rig: TeamRig
let databaseUrl: string
let a: Instance
let b: Instance

beforeAll(async () => {
  rig = await startTeamRig(['slow', 'endless', 'cell'])
  rig.upstream.script('slow', { kind: 'text', deltas: 40, everyMs: 50 })
  rig.upstream.script('endless', { kind: 'endless', mode: 'deltas', everyMs: 40 })
  rig.upstream.script('cell', { kind: 'text', deltas: 8, everyMs: 25 })
  databaseUrl = await rig.pg.createDatabase()
  a = await rig.start({ databaseUrl, id: 'team-a' })
  b = await rig.start({ databaseUrl, id: 'team-b' })
}, 60_000)

afterAll(async () => {
  await rig?.stop()
})

async function frames(url: string): Promise<SSEFrame[]> {
  const res = await fetch(url)
  expect(res.status).toBe(200)
  const out: SSEFrame[] = []
  for await (const f of readSSE(res.body!)) out.push(f)
  return out
}

const doneText = (fs: SSEFrame[]) =>
  (JSON.parse(fs.find((f) => f.event === 'done')!.data) as { results: Array<{ text: string }> }).results[0]!.text

/** Waits until B's history has some, not all, of a run A is streaming. */
async function partialOnB(runId: string) {
  return waitFor('partial text on B', async () => {
    const { body } = await getRun(b.url, runId)
    return (body.results[0]?.text.length ?? 0) > 0 ? body : undefined
  })
}

describe('two Juxta processes sharing PostgreSQL and Redis', () => {
  it('an API run on A is watched on B with its partial text, live, and ends identically on both', async () => {
    const run = await startRun(a.url, 'p/slow')
    const partial = await partialOnB(run.runId)
    expect(partial.status).toBe('running')
    expect(partial.results[0]!.text).toMatch(/^w1\b/)
    expect(partial.results[0]!.text).not.toContain('w40')
    const page = await (await fetch(`${b.url}/runs/${run.runId}`)).text()
    expect(page).toContain(`hx-get="/runs/${run.runId}/live"`)
    expect(page).toContain('w1')

    // B's API events and B's page stream attach mid-way and follow the run to its end.
    const [events, live] = await Promise.all([
      frames(`${b.url}/api/runs/${run.runId}/events`),
      frames(`${b.url}/runs/${run.runId}/live`),
    ])
    const onA = await run.all
    const finalText = doneText(onA)
    expect(finalText).toMatch(/^w1 w2 .* w40$/)
    expect(doneText(events)).toBe(finalText)
    expect(live.map((f) => f.data).join('')).toContain(`<p>${finalText}</p>`)
    expect(live.at(-1)).toMatchObject({ event: 'done', data: run.runId })

    // The stored run, read from either instance, is the same record.
    const [fromA, fromB] = await Promise.all([getRun(a.url, run.runId), getRun(b.url, run.runId)])
    expect(fromA.status).toBe(200)
    expect(fromA.body).toEqual(fromB.body)
    expect(fromB.body.status).toBe('done')
    expect(fromB.body.results[0]).toMatchObject({ status: 'ok', text: finalText })
    const [row] = await query<{ owner: string }>(databaseUrl, 'SELECT owner FROM runs WHERE id = $1', [run.runId])
    expect(row!.owner).toBe('team-a')
    // With DATABASE_URL nothing is kept in a SQLite file.
    expect(existsSync(join(rig.dir, 'data-team-a', 'juxta.db'))).toBe(false)
  }, 30_000)

  it('a run started from the page on A is watched on B and ends identically', async () => {
    const form = new URLSearchParams([
      ['prompt', 'Count from the page'],
      ['targets', 'p/slow'],
    ])
    const res = await fetch(`${a.url}/runs`, { method: 'POST', body: form, headers: { origin: a.url } })
    expect(res.status).toBe(200)
    const pageFrames = readSSE(res.body!)
    let pageHtml = ''
    let runId = ''
    while (!runId) {
      const f = (await pageFrames.next()).value as SSEFrame
      pageHtml += f.data
      runId = /data-run-id="([^"]+)"/.exec(pageHtml)?.[1] ?? ''
    }
    const rest = (async () => {
      for await (const f of pageFrames) pageHtml += f.data
    })()
    const partial = await partialOnB(runId)
    expect(partial.status).toBe('running')
    const live = await frames(`${b.url}/runs/${runId}/live`)
    await rest
    // The page's stream ends as the last partials are sent; the finish is written just after.
    const body = await waitFor('the run stored as done', async () => {
      const { body } = await getRun(b.url, runId)
      return body.status === 'done' ? body : undefined
    })
    const finalText = body.results[0]!.text
    expect(finalText).toMatch(/^w1 w2 .* w40$/)
    expect(pageHtml).toContain(`<p>${finalText}</p>`)
    expect(live.map((f) => f.data).join('')).toContain(`<p>${finalText}</p>`)
    expect((await getRun(a.url, runId)).body).toEqual(body)
  }, 30_000)

  it('Stop sent to B aborts the upstream request A holds', async () => {
    const before = rig.upstream.requestsFor('endless').length
    const run = await startRun(a.url, 'p/endless')
    await partialOnB(run.runId)
    const request = rig.upstream.requestsFor('endless')[before]!
    expect(request.closedAt).toBeNull()
    const stop = await fetch(`${b.url}/runs/${run.runId}/stop`, { method: 'POST', headers: { origin: b.url } })
    expect(stop.status).toBe(204)
    // The fake upstream sees A's socket close before the response ended.
    await waitFor('the upstream socket to close', async () => (request.closedAt !== null ? true : undefined), 10_000)
    expect(request.aborted).toBe(true)
    const onA = await run.all
    expect(onA.at(-1)!.event).toBe('done')
    const stored = await waitFor('the stopped run stored', async () => {
      const { body } = await getRun(b.url, run.runId)
      return body.status === 'done' ? body : undefined
    })
    expect(stored.results[0]!.status).toBe('cancelled')
    // The text received before the stop is kept, and nothing after: the upstream was cut.
    expect(stored.results[0]!.text.length).toBeGreaterThan(0)
    expect(stored.results[0]!.text).toBe(doneText(onA))
  }, 30_000)

  it('a study created on A runs its cells on both instances', async () => {
    const prompts = Array.from({ length: 12 }, (_, i) => `prompt ${i}`)
    const res = await fetch(`${a.url}/api/studies`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: a.url },
      body: JSON.stringify({ prompts, targets: ['p/cell'], repeats: 2, concurrency: 8 }),
    })
    expect(res.status).toBe(202)
    const { study_id: id } = (await res.json()) as { study_id: string }
    const done = await waitFor(
      'the study to finish',
      async () => {
        const view = (await (await fetch(`${b.url}/api/studies/${id}`)).json()) as {
          status: string
          progress: { done: number; ok: number }
        }
        return view.status === 'running' ? undefined : view
      },
      40_000,
    )
    expect(done).toMatchObject({ status: 'done', progress: { done: 24, ok: 24 } })
    const owners = await query<{ owner: string; n: string }>(
      databaseUrl,
      `SELECT r.owner, count(*) AS n FROM study_cells c JOIN runs r ON r.id = c.run_id
       WHERE c.study_id = $1 AND c.status = 'ok' GROUP BY r.owner ORDER BY r.owner`,
      [id],
    )
    const counts = Object.fromEntries(owners.map((o) => [o.owner, Number(o.n)]))
    console.log(`study cells per owner: ${JSON.stringify(counts)}`)
    expect(Object.keys(counts)).toEqual(['team-a', 'team-b'])
    expect(counts['team-a']! + counts['team-b']!).toBe(24)
    expect(counts['team-a']).toBeGreaterThan(0)
    expect(counts['team-b']).toBeGreaterThan(0)
  }, 50_000)
})
