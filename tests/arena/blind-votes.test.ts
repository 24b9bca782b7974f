import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, postCompare, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { openSqliteRunStore, type SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { SqliteArenaStore } from '../../src/storage/arena-store.ts'

let upstream: FakeUpstream
let juxta: RunningJuxta
let store: SqliteRunStore
let dir: string

const TARGETS = ['provone/mdl-quick', 'provtwo/mdl-slow', 'provthree/mdl-think']
/** Everything that names a target or gives a figure away. */
const IDENTITIES = [
  ...TARGETS,
  'mdl-quick',
  'mdl-slow',
  'mdl-think',
  'provone',
  'provtwo',
  'provthree',
  'Quick Label',
  'Slow Label',
  'Think Label',
  'Provider One',
  'Provider Two',
  'Provider Three',
  'reported-model-x',
]
const FIGURES = /\$\d|\d ms\b|\d(\.\d+)? s\b|tok\/s|TTFT|Input|Output|cached/

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'juxta-arena-'))
  store = openSqliteRunStore(join(dir, 'juxta.db'))
  upstream = await startFakeUpstream()
  upstream.script('mdl-quick', { kind: 'text', deltas: ['one ', 'answer'], model: 'reported-model-x' })
  upstream.script('mdl-slow', { kind: 'text', deltas: ['two ', 'answer'], everyMs: 30 })
  upstream.script('mdl-think', { kind: 'text', reasoning: ['thinking ', 'hard'], deltas: ['three ', 'answer'] })
  const config = fakeConfig({
    provone: {
      base_url: upstream.url,
      models: [{ id: 'mdl-quick', label: 'Quick Label', price: { input: 1, output: 2 } }],
    },
    provtwo: {
      base_url: upstream.url,
      models: [{ id: 'mdl-slow', label: 'Slow Label', price: { input: 3, output: 4 } }],
    },
    provthree: {
      base_url: upstream.url,
      models: [{ id: 'mdl-think', label: 'Think Label', price: { input: 5, output: 6 } }],
    },
  }) as { providers: Record<string, Record<string, unknown>> }
  config.providers.provone!.name = 'Provider One'
  config.providers.provtwo!.name = 'Provider Two'
  config.providers.provthree!.name = 'Provider Three'
  juxta = await startJuxta({ config, store, arena: new SqliteArenaStore(store.db) })
})

afterAll(async () => {
  await juxta?.close()
  await upstream?.close()
  await store?.close()
  rmSync(dir, { recursive: true, force: true })
})

const post = (path: string, form: Array<[string, string]>) =>
  fetch(`${juxta.url}${path}`, { method: 'POST', body: new URLSearchParams(form), headers: { origin: juxta.url } })

async function blindRun(prompt: string, extra: Array<[string, string]> = []): Promise<{ runId: string; sse: string }> {
  const res = await post('/runs', [
    ['prompt', prompt],
    ...TARGETS.map((t) => ['targets', t] as [string, string]),
    ...extra,
  ])
  expect(res.status).toBe(200)
  const sse = await res.text()
  const runId = /data-run-id="([^"]+)"/.exec(sse)![1]!
  return { runId, sse }
}

const voteApi = (runId: string, winner: unknown) =>
  fetch(`${juxta.url}/api/runs/${runId}/vote`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: juxta.url },
    body: JSON.stringify({ winner }),
  })

describe('blind mode', () => {
  it('streams "Answer A, B, C" with no target, label, provider, reported model or figure until the vote', async () => {
    const { runId, sse } = await blindRun('Which is best?', [['blind', '1']])
    for (const id of IDENTITIES) expect(sse, id).not.toContain(id)
    expect(sse).not.toMatch(FIGURES)
    expect(sse).toContain('Answer A')
    expect(sse).toContain('Answer C')
    // Reasoning may stream: it names no model.
    expect(sse).toContain('thinking')
    expect(sse).toContain('A is best')
    expect(sse).not.toContain('Copy as Markdown')
    expect(sse).not.toContain('Retry this column')
    // The letters are stored with the run and cover every target once.
    const letters = await new SqliteArenaStore(store.db).blindOf(runId)
    expect([...letters!].sort()).toEqual([...TARGETS].sort())

    // The stored run page, the history list and the copy/diff routes stay blind too.
    const page = await (await fetch(`${juxta.url}/runs/${runId}`)).text()
    for (const id of IDENTITIES) expect(page, id).not.toContain(id)
    expect(page).not.toMatch(FIGURES)
    // History's list (its target filter lists every configured target, as the compare form does; the run's row
    // names none of its own).
    const history = await (await fetch(`${juxta.url}/history`)).text()
    const row = new RegExp(`<tr data-run-id="${runId}">.*?</tr>`).exec(history)![0]
    for (const id of IDENTITIES) expect(row, id).not.toContain(id)
    expect(row).not.toMatch(FIGURES)
    expect(row).toContain('blind, not voted yet')
    expect((await fetch(`${juxta.url}/runs/${runId}/markdown`)).status).toBe(409)
    expect((await fetch(`${juxta.url}/runs/${runId}/diff?a=0&b=1`)).status).toBe(409)
    // The judge waits for the person's own vote.
    const judged = await post(`/runs/${runId}/judge`, [['judge', TARGETS[0]!]])
    expect(judged.status).toBe(409)

    // A follow-up keeps the letters and stays blind; its form names no target.
    const follow = await post('/runs', [
      ['prompt', 'And more?'],
      ['parent', runId],
    ])
    const followSse = await follow.text()
    expect(follow.status).toBe(200)
    for (const id of IDENTITIES) expect(followSse, id).not.toContain(id)
    const childId = /data-run-id="([^"]+)"/.exec(followSse)![1]!
    expect(await new SqliteArenaStore(store.db).blindOf(childId)).toEqual(letters)

    // Voting "b" reveals the run in place: labels, targets, figures and summary are back.
    const revealed = await post(`/runs/${runId}/vote`, [['winner', 'b']])
    expect(revealed.status).toBe(200)
    const html = await revealed.text()
    for (const t of TARGETS) expect(html).toContain(t)
    expect(html).toContain('Quick Label')
    expect(html).toMatch(/TTFT/)
    expect(html).toContain('Copy as Markdown')
    expect(html).toContain(`your vote: ${labelOf(letters![1]!)} is best`)
    const votes = await new SqliteArenaStore(store.db).votesOf(runId)
    expect(votes).toEqual([expect.objectContaining({ source: 'human', winner: letters![1], blind: true })])
    expect((await fetch(`${juxta.url}/runs/${runId}/markdown`)).status).toBe(200)
    const after = await (await fetch(`${juxta.url}/history`)).text()
    expect(after).toContain(`blind vote: ${labelOf(letters![1]!)} is best`)
  })

  it('keeps an unvoted blind run out of the runs API list and its exports, and runs it again blind', async () => {
    const { runId } = await blindRun('Hidden from the API?', [['blind', '1']])
    const list = (await (await fetch(`${juxta.url}/api/runs?limit=50`)).json()) as {
      runs: Array<{ run_id: string; hidden?: boolean; targets: unknown[]; cheapest: unknown; fastest: unknown }>
    }
    const item = list.runs.find((r) => r.run_id === runId)!
    expect(item).toMatchObject({ hidden: true, targets: [], cheapest: null, fastest: null })
    const text = JSON.stringify(item)
    for (const id of IDENTITIES) expect(text, id).not.toContain(id)
    for (const format of ['csv', 'json']) {
      const res = await fetch(`${juxta.url}/api/runs/${runId}/export.${format}`)
      expect(res.status, format).toBe(409)
      const body = await res.text()
      for (const id of IDENTITIES) expect(body, id).not.toContain(id)
    }
    // "Run again" keeps the switch on, so the new run does not name what the hidden one is.
    const again = await (await fetch(`${juxta.url}/?rerun=${runId}`)).text()
    expect(again).toMatch(/<input[^>]*id="blind"[^>]*checked/)

    expect((await post(`/runs/${runId}/vote`, [['winner', 'a']])).status).toBe(200)
    const after = (await (await fetch(`${juxta.url}/api/runs?limit=50`)).json()) as typeof list
    const shown = after.runs.find((r) => r.run_id === runId)!
    expect(shown.hidden).toBeUndefined()
    expect(shown.targets).toHaveLength(3)
    expect((await fetch(`${juxta.url}/api/runs/${runId}/export.csv`)).status).toBe(200)
    // A run that was never blind runs again with the switch off.
    const plain = await postCompare(juxta.url, { prompt: 'not blind', targets: [TARGETS[0]!] })
    const plainAgain = await (await fetch(`${juxta.url}/?rerun=${plain.body.run_id}`)).text()
    expect(plainAgain).not.toMatch(/<input[^>]*id="blind"[^>]*checked/)
  })

  it('hides the estimate while the switch is on', async () => {
    const res = await post('/estimate', [
      ['prompt', 'x'],
      ['targets', TARGETS[0]!],
      ['blind', '1'],
    ])
    const text = await res.text()
    expect(text).toContain('Blind mode')
    expect(text).not.toContain('Quick Label')
  })
})

const labelOf = (target: string) =>
  ({ 'provone/mdl-quick': 'Quick Label', 'provtwo/mdl-slow': 'Slow Label', 'provthree/mdl-think': 'Think Label' })[
    target
  ]

describe('POST /api/runs/:id/vote', () => {
  it('stores a not-blind vote, replaces it on a second vote, and refuses what is not in the run', async () => {
    const run = await postCompare(juxta.url, { prompt: 'API run', targets: TARGETS.slice(0, 2) })
    expect(run.status).toBe(200)
    const id = run.body.run_id
    const first = await voteApi(id, TARGETS[0])
    expect(first.status).toBe(200)
    expect((await first.json()).vote).toMatchObject({ winner: TARGETS[0], blind: false, source: 'human' })
    const second = await voteApi(id, 'tie')
    expect(second.status).toBe(200)
    const votes = await new SqliteArenaStore(store.db).votesOf(id)
    expect(votes.map((v) => v.winner)).toEqual(['tie'])
    expect(votes[0]!.targets).toEqual(TARGETS.slice(0, 2))

    const outside = await voteApi(id, TARGETS[2])
    expect(outside.status).toBe(422)
    expect((await outside.json()).error.issues[0].path).toBe('winner')
    expect((await voteApi(id, 42)).status).toBe(422)
    expect((await voteApi('nosuchrun', 'tie')).status).toBe(404)
    // The page's letter form is not the API's: "a" is not a target.
    expect((await voteApi(id, 'a')).status).toBe(422)
    // Deleting the run deletes its votes.
    const del = await fetch(`${juxta.url}/api/runs/${id}`, { method: 'DELETE', headers: { origin: juxta.url } })
    expect(del.status).toBe(200)
    expect(await new SqliteArenaStore(store.db).votesOf(id)).toEqual([])
  })

  it('puts the vote buttons on a stored, non-blind run and shows the vote in history', async () => {
    const run = await postCompare(juxta.url, { prompt: 'Stored run', targets: TARGETS.slice(0, 2) })
    const id = run.body.run_id
    const page = await (await fetch(`${juxta.url}/runs/${id}`)).text()
    expect(page).toContain('Quick Label is best')
    expect(page).toContain('All bad')
    const voted = await post(`/runs/${id}/vote`, [['winner', 'all_bad']])
    expect(voted.status).toBe(200)
    expect(await voted.text()).toContain('your vote: all bad')
    expect(await (await fetch(`${juxta.url}/history`)).text()).toContain('vote: all bad')
  })
})

describe('GET /api/leaderboard and /leaderboard', () => {
  it('rates the stored votes with the figures measured in the voted runs', async () => {
    const run = await postCompare(juxta.url, { prompt: 'For the board', targets: TARGETS.slice(0, 2) })
    const results = run.body.results
    expect((await voteApi(run.body.run_id, TARGETS[1])).status).toBe(200)
    const res = await fetch(`${juxta.url}/api/leaderboard?source=human`)
    expect(res.status).toBe(200)
    const board = (await res.json()) as {
      votes: number
      method: string
      targets: Array<{ target: string; median_cost_usd: number | null; median_ttft_ms: number | null }>
    }
    expect(board.method).toBe('bradley-terry')
    expect(board.votes).toBeGreaterThanOrEqual(1)
    const slow = board.targets.find((t) => t.target === TARGETS[1])!
    expect(slow).toBeDefined()
    // Every answer of Slow Label has the same usage, so the median over the voted runs is this run's cost;
    // its TTFT is measured (it varies from run to run).
    expect(results[1]!.cost.total_usd).toBeGreaterThan(0)
    expect(slow.median_cost_usd).toBe(results[1]!.cost.total_usd)
    expect(slow.median_ttft_ms).toBeGreaterThan(0)
    // No judge has voted: the judge board is empty, and human votes never appear in it.
    const judge = await (await fetch(`${juxta.url}/api/leaderboard?source=judge`)).json()
    expect(judge).toEqual({ votes: 0, method: 'bradley-terry', targets: [] })

    expect((await fetch(`${juxta.url}/api/leaderboard?source=robots`)).status).toBe(422)
    expect((await fetch(`${juxta.url}/api/leaderboard?from=2026-02-01&to=2026-01-01`)).status).toBe(422)
    const future = await (await fetch(`${juxta.url}/api/leaderboard?from=2100-01-01`)).json()
    expect(future.targets).toEqual([])

    const page = await fetch(`${juxta.url}/leaderboard`)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('<svg')
    expect(html).toContain('Slow Label')
    expect(html).toContain('How to read the intervals')
    const ttft = await (await fetch(`${juxta.url}/leaderboard?axis=ttft`)).text()
    expect(ttft).toContain('Rating against median time to first token')
  })
})

describe('export and import carry the votes and blind letters', () => {
  it('round-trips a blind, voted run and refuses votes that name other targets', async () => {
    const { runId } = await blindRun('Export me', [['blind', '1']])
    const arena = new SqliteArenaStore(store.db)
    const letters = (await arena.blindOf(runId))!
    expect((await post(`/runs/${runId}/vote`, [['winner', 'c']])).status).toBe(200)
    const file = await (await fetch(`${juxta.url}/api/runs/${runId}/export.json`)).json()
    expect(file.version).toBe(1)
    expect(file.runs[0].arena).toEqual({
      blind: letters,
      votes: [expect.objectContaining({ source: 'human', targets: [...letters], winner: letters[2], blind: true })],
    })
    const del = await fetch(`${juxta.url}/api/runs/${runId}`, { method: 'DELETE', headers: { origin: juxta.url } })
    expect(del.status).toBe(200)
    expect(await arena.votesOf(runId)).toEqual([])

    const bad = structuredClone(file.runs[0])
    bad.run_id = `${runId}x`
    bad.conversation_id = bad.run_id
    bad.arena.votes[0].winner = 'nobody/else'
    const res = await fetch(`${juxta.url}/api/runs/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: juxta.url },
      body: JSON.stringify({ ...file, runs: [file.runs[0], bad] }),
    })
    expect(res.status).toBe(200)
    const outcome = await res.json()
    expect(outcome.imported).toBe(1)
    expect(outcome.skipped_runs[0]).toMatchObject({ index: 1, run_id: bad.run_id })
    expect(outcome.skipped_runs[0].reason).toMatch(/^arena\.votes\[0\]/)
    expect(await arena.blindOf(runId)).toEqual(letters)
    expect((await arena.votesOf(runId)).map((v) => [v.winner, v.blind, v.created_at])).toEqual(
      file.runs[0].arena.votes.map((v: { winner: string; blind: boolean; created_at: string }) => [
        v.winner,
        v.blind,
        v.created_at,
      ]),
    )
  })
})
