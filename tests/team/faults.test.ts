import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getRun, type Instance, query, startRun, startTeamRig, type TeamRig, waitFor } from './team-rig.ts'

// PostgreSQL and Redis going away under two real instances: nothing crashes, nothing written is lost.
let rig: TeamRig
let databaseUrl: string
let a: Instance
let b: Instance

beforeAll(async () => {
  rig = await startTeamRig(['slow', 'quick'])
  rig.upstream.script('slow', { kind: 'text', deltas: 80, everyMs: 50 })
  rig.upstream.script('quick', { kind: 'text', deltas: 5, everyMs: 5 })
  databaseUrl = await rig.pg.createDatabase()
  ;[a, b] = await Promise.all([rig.start({ databaseUrl, id: 'fault-a' }), rig.start({ databaseUrl, id: 'fault-b' })])
}, 60_000)

afterAll(async () => {
  await rig?.stop()
})

const deltaText = (frames: Array<{ event?: string; data: string }>) =>
  frames
    .filter((f) => f.event === 'delta')
    .map((f) => (JSON.parse(f.data) as { text: string }).text)
    .join('')

describe('faults under two instances', () => {
  it('a PostgreSQL restart mid-run loses nothing; meanwhile pages say 503 and a compare still answers', async () => {
    const run = await startRun(a.url, 'p/slow')
    await waitFor('partial text stored', async () => {
      const { body } = await getRun(b.url, run.runId)
      return (body.results[0]?.text.length ?? 0) > 0 ? true : undefined
    })
    await rig.pg.kill()
    let back = false
    try {
      // History needs the database: the page and the API say so, with Retry-After.
      const page = await fetch(`${b.url}/history`)
      expect(page.status).toBe(503)
      expect(page.headers.get('retry-after')).toBe('5')
      expect(await page.text()).toContain('Database unavailable')
      const api = await fetch(`${b.url}/api/runs`)
      expect(api.status).toBe(503)
      expect(await api.json()).toMatchObject({ error: { message: 'the database is unavailable; try again shortly' } })
      // A compare still answers; its record waits for the database.
      const res = await fetch(`${b.url}/api/compare`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: b.url },
        body: JSON.stringify({ prompt: 'While the database is away', targets: ['p/quick'] }),
      })
      expect(res.status).toBe(200)
      const answered = (await res.json()) as { run_id: string; results: Array<{ text: string }> }
      expect(answered.results[0]!.text).toBe('w1 w2 w3 w4 w5')
      // Still streaming to A's client while the database is away.
      const before = deltaText(run.seen).length
      await new Promise((r) => setTimeout(r, 700))
      expect(deltaText(run.seen).length).toBeGreaterThan(before)
      await rig.pg.start()
      back = true

      const late = await waitFor('the compare made while the database was away, stored', async () => {
        const { status, body } = await getRun(b.url, answered.run_id)
        return status === 200 && body.status === 'done' ? body : undefined
      })
      expect(late.results[0]).toMatchObject({ status: 'ok', text: 'w1 w2 w3 w4 w5' })
    } finally {
      if (!back) await rig.pg.start()
    }

    const frames = await run.all
    const done = JSON.parse(frames.find((f) => f.event === 'done')!.data) as {
      results: Array<{ text: string; usage: Record<string, unknown> }>
    }
    const stored = await waitFor(
      'the run stored whole',
      async () => {
        const { body } = await getRun(a.url, run.runId)
        return body.status === 'done' ? body : undefined
      },
      20_000,
    )
    const words = Array.from({ length: 80 }, (_, i) => `w${i + 1}`).join(' ')
    expect(done.results[0]!.text).toBe(words)
    expect(stored.results[0]).toMatchObject({ status: 'ok', text: words, usage: done.results[0]!.usage })
    expect(stored.results[0]!.usage).toMatchObject({ input_tokens: 11, output_tokens: 80 })
    expect((await getRun(b.url, run.runId)).body).toEqual(stored)
    const rows = await query<{ n: string }>(databaseUrl, 'SELECT count(*) AS n FROM results WHERE run_id = $1', [
      run.runId,
    ])
    expect(rows).toEqual([{ n: '1' }])
    // Both instances lived through it.
    expect(a.child.exitCode).toBeNull()
    expect(b.child.exitCode).toBeNull()
    expect((await fetch(`${a.url}/history`)).status).toBe(200)
  }, 50_000)

  it('Redis killed and restarted: no instance crashes, and runs go on and are watched again', async () => {
    const run = await startRun(a.url, 'p/slow')
    await rig.redis.kill()
    // Without Redis a run still streams and is stored.
    const quick = await fetch(`${b.url}/api/compare`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: b.url },
      body: JSON.stringify({ prompt: 'Without Redis', targets: ['p/quick'] }),
    })
    expect(quick.status).toBe(200)
    await new Promise((r) => setTimeout(r, 500))
    await rig.redis.start()
    const frames = await run.all
    expect(frames.at(-1)!.event).toBe('done')
    const stored = await waitFor('the run stored', async () => {
      const { body } = await getRun(b.url, run.runId)
      return body.status === 'done' ? body : undefined
    })
    expect(stored.results[0]!.text).toMatch(/^w1 .* w80$/)
    expect(a.child.exitCode).toBeNull()
    expect(b.child.exitCode).toBeNull()

    // After the restart, a new run on A is watched live from B again.
    const again = await startRun(a.url, 'p/slow')
    await waitFor('partial text stored', async () => {
      const { body } = await getRun(b.url, again.runId)
      return (body.results[0]?.text.length ?? 0) > 0 ? true : undefined
    })
    const res = await fetch(`${b.url}/api/runs/${again.runId}/events`)
    expect(res.status).toBe(200)
    const body = await res.text()
    await again.all
    expect(body).toContain('event: done')
    expect(body).toContain('w80')
  }, 40_000)

  it('stopped (SIGTERM) while the database is away, an instance writes what it kept once it is back', async () => {
    await rig.pg.kill()
    const res = await fetch(`${b.url}/api/compare`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: b.url },
      body: JSON.stringify({ prompt: 'Just before a stop', targets: ['p/quick'] }),
    })
    expect(res.status).toBe(200)
    const { run_id: runId } = (await res.json()) as { run_id: string }
    const exited = new Promise<number | null>((resolve) => b.child.once('exit', (code) => resolve(code)))
    b.child.kill('SIGTERM')
    // Back 1 s later, within the grace the stop gives writes kept for an unavailable database (5 s), leaving
    // crash recovery and a retry the rest of it on a loaded machine.
    await new Promise((r) => setTimeout(r, 1000))
    expect(b.child.exitCode).toBeNull()
    await rig.pg.start()
    expect(await exited).toBe(0)
    const rows = await query<{ status: string; text: string }>(
      databaseUrl,
      'SELECT r.status, t.text FROM runs r JOIN results t ON t.run_id = r.id WHERE r.id = $1',
      [runId],
    )
    expect(rows).toEqual([{ status: 'done', text: 'w1 w2 w3 w4 w5' }])
    // Its lease was given up on the way out.
    expect(await query(databaseUrl, `SELECT id FROM instances WHERE id = 'fault-b'`)).toEqual([])
  }, 30_000)
})
