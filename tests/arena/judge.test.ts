import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, postCompare, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { openSqliteRunStore, type SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { SqliteArenaStore } from '../../src/storage/arena-store.ts'
import { JUDGE_SYSTEM_PROMPT, parseVerdict } from '../../src/arena/judge-prompt.ts'
import { SqliteStudyStore } from '../../src/storage/sqlite-study-store.ts'

/**
 * A loopback judge speaking the OpenAI streaming wire format: it reads the two answers out of the prompt and
 * answers by a rule per pair, so each order's verdict is known in advance.
 */
async function startJudgeUpstream(decide: (a: string, b: string) => string) {
  const seen: Array<{ system: string; a: string; b: string }> = []
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (d) => {
      body += d
    })
    req.on('end', () => {
      const request = JSON.parse(body) as { model: string; messages: Array<{ role: string; content: string }> }
      const user = request.messages.find((m) => m.role === 'user')!.content
      const a = /\[Answer A\]\n([\s\S]*?)\n\[End of Answer A\]/.exec(user)![1]!
      const b = /\[Answer B\]\n([\s\S]*?)\n\[End of Answer B\]/.exec(user)![1]!
      seen.push({ system: request.messages.find((m) => m.role === 'system')!.content, a, b })
      const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
        `data: ${JSON.stringify({
          id: 'j',
          object: 'chat.completion.chunk',
          created: 0,
          model: request.model,
          choices: [{ index: 0, delta, finish_reason: null }],
          ...extra,
        })}\n\n`
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write(chunk({ role: 'assistant', content: '' }))
      res.write(chunk({ content: decide(a, b) }))
      res.write(
        `data: ${JSON.stringify({ id: 'j', object: 'chat.completion.chunk', created: 0, model: request.model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`, // line-length-ok
      )
      res.write(
        `data: ${JSON.stringify({ id: 'j', object: 'chat.completion.chunk', created: 0, model: request.model, choices: [], usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 } })}\n\n`, // line-length-ok
      )
      res.end('data: [DONE]\n\n')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/v1`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

let upstream: FakeUpstream
let judgeUpstream: Awaited<ReturnType<typeof startJudgeUpstream>>
let juxta: RunningJuxta
let store: SqliteRunStore
let dir: string

const ONE = 'm/one'
const TWO = 'm/two'
const THREE = 'm/three'
const JUDGE = 'judges/strict'

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'juxta-judge-'))
  store = openSqliteRunStore(join(dir, 'juxta.db'))
  upstream = await startFakeUpstream()
  upstream.script('one', { kind: 'text', deltas: ['answer ', 'one'] })
  upstream.script('two', { kind: 'text', deltas: ['answer ', 'two'] })
  upstream.script('three', { kind: 'text', deltas: ['answer ', 'three'] })
  // one vs two: always prefers "answer one" (consistent). one vs three: always "A" (flips with the order).
  // two vs three: no verdict line at all.
  judgeUpstream = await startJudgeUpstream((a, b) => {
    const pair = [a, b].sort().join(' | ')
    if (pair === 'answer one | answer two') return `One is more precise.\nVERDICT: ${a === 'answer one' ? 'A' : 'B'}`
    if (pair === 'answer one | answer three') return 'The first one, clearly.\nVERDICT: A'
    return 'Both are fine, I suppose the second.\n**Verdict: B**'
  })
  juxta = await startJuxta({
    config: fakeConfig({
      m: {
        base_url: upstream.url,
        models: [
          { id: 'one', label: 'One', price: { input: 1, output: 1 } },
          { id: 'two', label: 'Two', price: { input: 1, output: 1 } },
          { id: 'three', label: 'Three', price: { input: 1, output: 1 } },
        ],
      },
      judges: {
        base_url: judgeUpstream.url,
        models: [{ id: 'strict', label: 'Strict Judge', price: { input: 2, output: 10 } }],
      },
    }),
    store,
    arena: new SqliteArenaStore(store.db),
    studyStore: new SqliteStudyStore(store.db),
  })
})

afterAll(async () => {
  await juxta?.close()
  await upstream?.close()
  await judgeUpstream?.close()
  await store?.close()
  rmSync(dir, { recursive: true, force: true })
})

const judgeApi = (runId: string, judge: unknown) =>
  fetch(`${juxta.url}/api/runs/${runId}/judge`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: juxta.url },
    body: JSON.stringify({ judge }),
  })

describe('parseVerdict', () => {
  it('reads only an exact last line', () => {
    expect(parseVerdict('Because.\nVERDICT: A')).toBe('A')
    expect(parseVerdict('Because.\n  VERDICT: TIE  \n\n')).toBe('TIE')
    expect(parseVerdict('VERDICT: B\nBut actually A.')).toBeNull()
    expect(parseVerdict('**VERDICT: B**')).toBeNull()
    expect(parseVerdict('verdict: b')).toBeNull()
    expect(parseVerdict('VERDICT: A or B')).toBeNull()
    expect(parseVerdict('')).toBeNull()
  })
})

describe('the LLM judge', () => {
  it('judges every pair in both orders and records exactly what it said', async () => {
    const run = await postCompare(juxta.url, { prompt: 'Say something', targets: [ONE, TWO, THREE] })
    expect(run.status).toBe(200)
    const runId = run.body.run_id
    const res = await judgeApi(runId, JUDGE)
    expect(res.status).toBe(200)
    const out = (await res.json()) as {
      judge_run_id: string
      calls: number
      cost_usd: number | null
      pairs: Array<{ a: string; b: string; verdicts: [string | null, string | null]; outcome: string }>
    }
    expect(out.calls).toBe(6)
    expect(out.pairs).toEqual([
      { a: ONE, b: TWO, verdicts: ['A', 'B'], outcome: ONE },
      { a: ONE, b: THREE, verdicts: ['A', 'A'], outcome: 'tie' },
      { a: TWO, b: THREE, verdicts: [null, null], outcome: 'no_verdict' },
    ])
    // Six calls at 100 input and 20 output tokens, $2 and $10 per 1M: $0.0004 each.
    expect(out.cost_usd).toBeCloseTo(6 * 0.0004, 12)
    // Every call got the fixed prompt, and both orders of every pair.
    expect(judgeUpstream.seen).toHaveLength(6)
    expect(new Set(judgeUpstream.seen.map((s) => s.system))).toEqual(new Set([JUDGE_SYSTEM_PROMPT]))
    const orders = judgeUpstream.seen.map((s) => `${s.a} > ${s.b}`).sort()
    expect(orders).toEqual(
      [
        'answer one > answer two',
        'answer two > answer one',
        'answer one > answer three',
        'answer three > answer one',
        'answer two > answer three',
        'answer three > answer two',
      ].sort(),
    )

    // Stored as the judge's votes, apart from human votes.
    const votes = await new SqliteArenaStore(store.db).votesOf(runId)
    const rows = votes.map((v) => [v.source, v.targets, v.winner])
    expect(rows.sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))).toEqual([
      [`judge:${JUDGE}`, [ONE, THREE], 'tie'],
      [`judge:${JUDGE}`, [ONE, TWO], ONE],
      [`judge:${JUDGE}`, [TWO, THREE], 'no_verdict'],
    ])
    // The judge's calls are a run of their own, with their own cost, counted in spend.
    const judgeRun = await (await fetch(`${juxta.url}/api/runs/${out.judge_run_id}`)).json()
    expect(judgeRun.results).toHaveLength(6)
    expect(judgeRun.targets.every((t: string) => t === JUDGE)).toBe(true)
    const spend = await (await fetch(`${juxta.url}/api/spend`)).json()
    const judgeSpend = spend.models.find((m: { target: string }) => m.target === JUDGE)
    expect(judgeSpend.requests).toBe(6)
    expect(judgeSpend.cost_usd).toBeCloseTo(6 * 0.0004, 12)

    // The judge board rates the judge's pairs; the human board does not see them.
    const board = await (await fetch(`${juxta.url}/api/leaderboard?source=judge`)).json()
    expect(board.votes).toBe(2)
    expect(board.targets.map((t: { target: string }) => t.target)).toEqual([ONE, THREE, TWO])
    const one = board.targets.find((t: { target: string }) => t.target === ONE)
    expect(one).toMatchObject({ wins: 1, losses: 0, ties: 1, votes: 2 })
    const human = await (await fetch(`${juxta.url}/api/leaderboard?source=human`)).json()
    expect(human.votes).toBe(0)

    // Judging again replaces the judge's votes rather than adding to them.
    expect((await judgeApi(runId, JUDGE)).status).toBe(200)
    expect(await new SqliteArenaStore(store.db).votesOf(runId)).toHaveLength(3)

    // The run page shows the verdicts, the prompt and the judge's own cost.
    const page = await (await fetch(`${juxta.url}/runs/${runId}`)).text()
    expect(page).toContain('Verdicts of Strict Judge')
    expect(page).toContain('no verdict')
    expect(page).toContain('VERDICT: TIE')
    const form = await fetch(`${juxta.url}/runs/${runId}/judge`, {
      method: 'POST',
      headers: { origin: juxta.url },
      body: new URLSearchParams([['judge', JUDGE]]),
    })
    expect(form.status).toBe(200)
    const panel = await form.text()
    expect(panel).toContain('Judged by Strict Judge: 6 calls')
    expect(panel).toContain('$0.0024')
  })

  it('refuses an unknown judge and an unknown run (a hidden blind run: see blind-votes.test.ts)', async () => {
    const run = await postCompare(juxta.url, { prompt: 'Again', targets: [ONE, TWO] })
    const bad = await judgeApi(run.body.run_id, 'nobody/none')
    expect(bad.status).toBe(422)
    expect((await bad.json()).error.issues[0].path).toBe('judge')
    expect((await judgeApi('nosuchrun', JUDGE)).status).toBe(404)
  })
})

describe('the judge on a study', () => {
  const api = (path: string, body?: unknown) =>
    fetch(`${juxta.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json', origin: juxta.url },
      body: body === undefined ? undefined : JSON.stringify(body),
    })

  it('gives each target a win rate against the reference with a Wilson interval, beside its cost ratio', async () => {
    const created = await api('/api/studies', {
      name: 'judged',
      prompts: ['p1', 'p2', 'p3', 'p4', 'p5'],
      targets: [ONE, TWO, THREE],
    })
    expect(created.status).toBe(202)
    const { study_id } = (await created.json()) as { study_id: string }
    await expect
      .poll(async () => ((await (await api(`/api/studies/${study_id}`)).json()) as { status: string }).status, {
        timeout: 15_000,
      })
      .toBe('done')
    expect((await api(`/api/studies/${study_id}/judge`)).status).toBe(404)
    const seen = judgeUpstream.seen.length

    const res = await api(`/api/studies/${study_id}/judge`, { judge: JUDGE, reference: ONE })
    expect(res.status).toBe(200)
    const summary = (await res.json()) as {
      prompts: number
      calls: number
      targets: Array<Record<string, unknown>>
    }
    // Two targets against the reference, five prompts, both orders.
    expect(summary.calls).toBe(20)
    expect(judgeUpstream.seen.length - seen).toBe(20)
    const [two, three] = summary.targets
    // "answer one" always wins against "answer two": two is as good on none of the prompts.
    expect(two).toMatchObject({ target: TWO, as_good: 0, judged: 5, no_verdict: 0, unanswered: 0, rate: 0 })
    expect((two!.ci95 as number[])[0]).toBe(0)
    expect((two!.ci95 as number[])[1]).toBeCloseTo(0.4345, 4)
    // The judge flips between one and three: ties, so three is as good on every prompt.
    expect(three).toMatchObject({ target: THREE, as_good: 5, judged: 5, rate: 1 })
    expect((three!.ci95 as number[])[0]).toBeCloseTo(1 - 0.4345, 4)
    // Same usage and price: the paired cost ratio to the reference is 1.
    expect(two!.cost_ratio).toMatchObject({ median: 1, prompts: 5 })

    // Against two: one wins everywhere; three vs two has no verdict, so nothing is judged.
    const again = await (await api(`/api/studies/${study_id}/judge`, { judge: JUDGE, reference: TWO })).json()
    expect(again.targets).toEqual([
      expect.objectContaining({ target: ONE, as_good: 5, judged: 5, rate: 1 }),
      expect.objectContaining({ target: THREE, as_good: 0, judged: 0, no_verdict: 5, rate: null, ci95: null }),
    ])
    expect((await (await api(`/api/studies/${study_id}/judge`)).json()).reference).toBe(TWO)

    const panel = await (await fetch(`${juxta.url}/studies/${study_id}/judge`)).text()
    expect(panel).toContain(`${ONE}: as good as ${TWO} on 100% of these prompts (95% CI 57%–100%, 5 judged)`)
    expect(panel).toContain('at 1.0× the cost')

    const bad = await api(`/api/studies/${study_id}/judge`, { judge: JUDGE, reference: 'x/y' })
    expect(bad.status).toBe(422)
    expect((await bad.json()).error.issues[0].path).toBe('reference')
    expect((await api('/api/studies/nosuchstudy/judge', { judge: JUDGE, reference: ONE })).status).toBe(404)
  })
})
