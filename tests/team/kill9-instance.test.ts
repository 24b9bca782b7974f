import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getRun, type Instance, query, startRun, startTeamRig, type TeamRig, waitFor } from './team-rig.ts'

// kill -9 of the instance running a run: the survivor's lease sweeper marks it interrupted, default timings.
let rig: TeamRig
let databaseUrl: string
let a: Instance
let b: Instance

beforeAll(async () => {
  rig = await startTeamRig(['long'])
  // About 40 s of answer: still streaming long after the kill.
  rig.upstream.script('long', { kind: 'text', deltas: 800, everyMs: 50 })
  databaseUrl = await rig.pg.createDatabase()
  ;[a, b] = await Promise.all([rig.start({ databaseUrl, id: 'kill-a' }), rig.start({ databaseUrl, id: 'kill-b' })])
}, 60_000)

afterAll(async () => {
  await rig?.stop()
})

describe('kill -9 of an instance in the middle of a run', () => {
  it('the other instance marks the run interrupted, with the text so far, within 60 s', async () => {
    const run = await startRun(a.url, 'p/long')
    // Past a few history flushes (every 500 ms) on B's side of the database.
    await waitFor('partial text in the database', async () => {
      const { body } = await getRun(b.url, run.runId)
      return (body.results[0]?.text.split(' ').length ?? 0) > 20 ? true : undefined
    })
    // Watchers on B, attached before the kill: the API's events and the run page's live stream.
    const watchApi = fetch(`${b.url}/api/runs/${run.runId}/events`).then((r) => r.text())
    const watchPage = fetch(`${b.url}/runs/${run.runId}/live`).then((r) => r.text())
    a.child.kill('SIGKILL')
    const killedAt = performance.now()
    await new Promise((r) => a.child.once('exit', r))
    await run.all
    const received = run.seen
      .filter((f) => f.event === 'delta')
      .map((f) => (JSON.parse(f.data) as { text: string }).text)
      .join('')

    const stored = await waitFor(
      'B to mark the run interrupted',
      async () => {
        const { body } = await getRun(b.url, run.runId)
        return body.status === 'interrupted' ? body : undefined
      },
      60_000,
    )
    const seconds = (performance.now() - killedAt) / 1000
    console.log(`kill -9 → interrupted on B after ${seconds.toFixed(1)} s`)
    expect(seconds).toBeLessThan(60)
    // What A had written before it died: a prefix of what its client received, at least the first words.
    const text = stored.results[0]!.text
    expect(stored.results[0]!.status).toBe('interrupted')
    expect(text).toMatch(/^w1 w2 w3 /)
    expect(received.startsWith(text)).toBe(true)
    expect(text.split(' ').length).toBeGreaterThan(20)
    const rows = await query<{ owner: string; status: string }>(
      databaseUrl,
      'SELECT owner, status FROM runs WHERE id = $1',
      [run.runId],
    )
    expect(rows).toEqual([{ owner: 'kill-a', status: 'interrupted' }])
    // The watchers are not left waiting for an end the dead instance will never write: they end with the run.
    const [api, page] = await Promise.all([watchApi, watchPage])
    const done = /event: done\ndata: (.*)\n/.exec(api)?.[1]
    expect(done).toBeDefined()
    // As the stream from history shows an interrupted target: an error column keeping its text.
    expect(JSON.parse(done!)).toMatchObject({ results: [{ status: 'error', text }] })
    expect(page).toMatch(/event: done\ndata: /)
    // One that attaches now gets the stored run at once.
    const late = await fetch(`${b.url}/api/runs/${run.runId}/events`).then((r) => r.text())
    expect(late).toContain('event: done')
    // B itself is still serving.
    expect((await fetch(`${b.url}/api/runs?limit=1`)).status).toBe(200)
  }, 70_000)
})
