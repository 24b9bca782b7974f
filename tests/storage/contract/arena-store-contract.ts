import { afterEach, describe, expect, it } from 'vitest'
import type { ArenaStore, StudyJudgeRecord, Vote } from '../../../src/arena/types.ts'
import type { Spec } from '../fixtures.ts'

/** One fresh database for one test: an arena store on it, and runs recorded in the same database. */
export interface ArenaHarness {
  store: ArenaStore
  /** Records a finished run with one result per spec (TTFT 10 ms). */
  addRun(runId: string, specs: Spec[]): Promise<void>
  /** Deletes a run from history. */
  deleteRun(runId: string): Promise<void>
  close(): Promise<void>
}

export type OpenArenaStore = () => Promise<ArenaHarness>

/** $1.23…: a per-request cost with every pico-dollar digit significant (a run's cost comes from USD). */
const PRECISE = 1_234_567_890_123n

const vote = (extra: Partial<Vote> = {}): Vote => ({
  run_id: 'r1',
  source: 'human',
  targets: ['demo/fast', 'demo/slow'],
  winner: 'demo/fast',
  blind: false,
  created_at: '2026-01-01T00:00:00.000Z',
  ...extra,
})

const judgeVote = (targets: [string, string], winner: string, at: string, extra: Partial<Vote> = {}): Vote =>
  vote({
    source: 'judge:demo/thinker',
    targets,
    winner,
    created_at: at,
    detail: { verdicts: [winner, null], judge_run_id: 'j1' },
    ...extra,
  })

const judgeRecord = (extra: Partial<StudyJudgeRecord> = {}): StudyJudgeRecord => ({
  study_id: 's1',
  judge: 'demo/thinker',
  reference: 'demo/fast',
  created_at: '2026-01-01T00:00:00.000Z',
  judgements: [
    {
      prompt_index: 0,
      target: 'demo/slow',
      verdicts: ['A', 'TIE'],
      outcome: 'demo/slow',
      judge_run_id: 'j1',
    },
  ],
  cost_usd: 0.000_123_4,
  calls: 2,
  ...extra,
})

/** What every ArenaStore does, whatever the database (run against SQLite and PostgreSQL). */
export function arenaStoreContract(name: string, open: OpenArenaStore): void {
  describe(`ArenaStore contract: ${name}`, () => {
    let harness: ArenaHarness | null = null
    const start = async () => {
      harness = await open()
      return harness
    }
    afterEach(async () => {
      await harness?.close()
      harness = null
    })

    it('keeps a blind run’s letters (replaced when set again); a run not blind has none', async () => {
      const { store } = await start()
      // Before the run itself is recorded: the letters are written first.
      await store.setBlind('r1', ['demo/slow', 'demo/fast'])
      expect(await store.blindOf('r1')).toEqual(['demo/slow', 'demo/fast'])
      await store.setBlind('r1', ['demo/fast', 'demo/slow', 'other/x'])
      expect(await store.blindOf('r1')).toEqual(['demo/fast', 'demo/slow', 'other/x'])
      expect(await store.blindOf('r2')).toBeNull()
    })

    it('replaces the votes of one source on one run, leaving other sources and runs alone', async () => {
      const { store } = await start()
      await store.replaceVotes('r1', 'human', [vote({ blind: true })])
      const judged = [
        judgeVote(['demo/fast', 'demo/slow'], 'demo/slow', '2026-01-01T00:00:01.000Z'),
        judgeVote(['demo/fast', 'other/x'], 'tie', '2026-01-01T00:00:01.000Z'),
        judgeVote(['demo/slow', 'other/x'], 'no_verdict', '2026-01-01T00:00:01.000Z'),
      ]
      await store.replaceVotes('r1', 'judge:demo/thinker', judged)
      await store.replaceVotes('r2', 'human', [vote({ run_id: 'r2', winner: 'tie' })])
      // Ordered by time, then source, then the compared targets.
      expect(await store.votesOf('r1')).toEqual([vote({ blind: true }), ...judged])

      // Voting again replaces that source's votes only; the run id and source come from the call.
      const again = vote({
        run_id: 'ignored',
        source: 'judge:x',
        winner: 'all_bad',
        created_at: '2026-02-01T00:00:00.000Z',
      })
      await store.replaceVotes('r1', 'human', [again])
      expect(await store.votesOf('r1')).toEqual([...judged, { ...again, run_id: 'r1', source: 'human' }])
      await store.replaceVotes('r1', 'judge:demo/thinker', [])
      expect(await store.votesOf('r1')).toEqual([{ ...again, run_id: 'r1', source: 'human' }])
      expect(await store.votesOf('r2')).toEqual([vote({ run_id: 'r2', winner: 'tie' })])
      expect(await store.votesOf('r3')).toEqual([])
    })

    it('keeps one vote per run, source and compared targets: the last one given wins', async () => {
      const { store } = await start()
      await store.replaceVotes('r1', 'human', [vote({ winner: 'demo/fast' }), vote({ winner: 'demo/slow' })])
      expect(await store.votesOf('r1')).toEqual([vote({ winner: 'demo/slow' })])
    })

    it('reads the votes of many runs at once, grouped by run', async () => {
      const { store } = await start()
      expect(await store.votesOfRuns([])).toEqual(new Map())
      await store.replaceVotes('r1', 'human', [vote()])
      await store.replaceVotes('r1', 'judge:demo/thinker', [
        judgeVote(['demo/fast', 'demo/slow'], 'demo/fast', '2026-01-02T00:00:00.000Z'),
      ])
      await store.replaceVotes('r2', 'human', [vote({ run_id: 'r2', winner: 'tie' })])
      await store.replaceVotes('r3', 'human', [vote({ run_id: 'r3' })])
      const map = await store.votesOfRuns(['r1', 'r2', 'r4'])
      expect([...map.keys()].sort()).toEqual(['r1', 'r2'])
      expect(map.get('r1')!.map((v) => v.source)).toEqual(['human', 'judge:demo/thinker'])
      expect(map.get('r2')).toEqual([vote({ run_id: 'r2', winner: 'tie' })])
    })

    it('says which runs are blind and whether a person has voted on each', async () => {
      const { store } = await start()
      expect(await store.blindRuns([])).toEqual(new Map())
      await store.setBlind('b1', ['demo/fast', 'demo/slow'])
      await store.setBlind('b2', ['demo/fast', 'demo/slow'])
      await store.setBlind('b3', ['demo/fast', 'demo/slow'])
      await store.replaceVotes('b1', 'human', [vote({ run_id: 'b1', blind: true })])
      // A judge's vote does not reveal a blind run to its person.
      await store.replaceVotes('b2', 'judge:demo/thinker', [
        judgeVote(['demo/fast', 'demo/slow'], 'demo/fast', '2026-01-01T00:00:00.000Z', { run_id: 'b2' }),
      ])
      await store.replaceVotes('plain', 'human', [vote({ run_id: 'plain' })])
      const blind = await store.blindRuns(['b1', 'b2', 'plain', 'nope'])
      expect(blind).toEqual(
        new Map([
          ['b1', { voted: true }],
          ['b2', { voted: false }],
        ]),
      )
    })

    it('gives the leaderboard its votes by time window and source, oldest first', async () => {
      const { store } = await start()
      await store.replaceVotes('r2', 'human', [vote({ run_id: 'r2', created_at: '2026-01-02T00:00:00.000Z' })])
      await store.replaceVotes('r1', 'human', [vote({ created_at: '2026-01-02T00:00:00.000Z' })])
      await store.replaceVotes('r0', 'human', [vote({ run_id: 'r0', created_at: '2026-01-01T00:00:00.000Z' })])
      await store.replaceVotes('r1', 'judge:demo/thinker', [
        judgeVote(['demo/fast', 'demo/slow'], 'demo/slow', '2026-01-03T00:00:00.000Z'),
      ])
      const ids = (votes: Vote[]) => votes.map((v) => `${v.run_id}:${v.source}`)
      expect(ids(await store.votes({ source: 'all' }))).toEqual([
        'r0:human',
        'r1:human',
        'r2:human',
        'r1:judge:demo/thinker',
      ])
      expect(ids(await store.votes({ source: 'human' }))).toEqual(['r0:human', 'r1:human', 'r2:human'])
      expect(ids(await store.votes({ source: 'judge' }))).toEqual(['r1:judge:demo/thinker'])
      // from is inclusive, to exclusive.
      const from = new Date('2026-01-02T00:00:00.000Z')
      const to = new Date('2026-01-03T00:00:00.000Z')
      expect(ids(await store.votes({ source: 'all', from }))).toEqual(['r1:human', 'r2:human', 'r1:judge:demo/thinker'])
      expect(ids(await store.votes({ source: 'all', from, to }))).toEqual(['r1:human', 'r2:human'])
      expect(ids(await store.votes({ source: 'all', to: from }))).toEqual(['r0:human'])
    })

    it('reads the measured figures of finished answers: exact cost, unknown cost as null', async () => {
      const { store, addRun } = await start()
      expect(await store.resultFigures([])).toEqual([])
      await addRun('r1', [
        { target: 'demo/fast', pico: PRECISE, ms: 100 },
        { target: 'demo/slow', pico: null, ms: 200 },
        { target: 'demo/thinker', pico: 5n, ms: 300, status: 'error' },
      ])
      await addRun('r2', [{ target: 'demo/fast', pico: 7n, ms: 100 }])
      await addRun('r3', [{ target: 'demo/fast', pico: 9n, ms: 100 }])
      const figures = await store.resultFigures(['r1', 'r2', 'nope'])
      const sorted = [...figures].sort((a, b) => `${a.run_id}${a.target}`.localeCompare(`${b.run_id}${b.target}`))
      expect(sorted).toEqual([
        { run_id: 'r1', target: 'demo/fast', label: 'fast', cost_pico: PRECISE, ttft_ms: 10 },
        { run_id: 'r1', target: 'demo/slow', label: 'slow', cost_pico: null, ttft_ms: 10 },
        { run_id: 'r2', target: 'demo/fast', label: 'fast', cost_pico: 7n, ttft_ms: 10 },
      ])
    })

    it('keeps the last judging of a study against its reference', async () => {
      const { store } = await start()
      expect(await store.studyJudge('s1')).toBeNull()
      await store.saveStudyJudge(judgeRecord())
      expect(await store.studyJudge('s1')).toEqual(judgeRecord())
      const later = judgeRecord({ judge: 'other/judge', cost_usd: null, calls: 0, judgements: [] })
      await store.saveStudyJudge(later)
      await store.saveStudyJudge(judgeRecord({ study_id: 's2' }))
      expect(await store.studyJudge('s1')).toEqual(later)
      expect(await store.studyJudge('s2')).toEqual(judgeRecord({ study_id: 's2' }))
    })

    it('imports votes and letters, keeping those already stored for the same run and source', async () => {
      const { store } = await start()
      await store.setBlind('r1', ['demo/slow', 'demo/fast'])
      await store.replaceVotes('r1', 'human', [vote({ winner: 'demo/slow', blind: true })])
      const { run_id: _, ...importedJudge } = judgeVote(['demo/fast', 'demo/slow'], 'tie', '2026-01-05T00:00:00.000Z')
      await store.importArena('r1', {
        blind: ['demo/fast', 'demo/slow'],
        votes: [{ ...vote({ winner: 'demo/fast' }), run_id: undefined } as never, importedJudge],
      })
      expect(await store.blindOf('r1')).toEqual(['demo/slow', 'demo/fast'])
      expect(await store.votesOf('r1')).toEqual([
        vote({ winner: 'demo/slow', blind: true }),
        { ...importedJudge, run_id: 'r1' },
      ])

      await store.importArena('r2', { blind: ['demo/fast'], votes: [{ ...importedJudge }] })
      expect(await store.blindOf('r2')).toEqual(['demo/fast'])
      expect(await store.votesOf('r2')).toEqual([{ ...importedJudge, run_id: 'r2' }])
      await store.importArena('r3', {})
      expect(await store.blindOf('r3')).toBeNull()
      expect(await store.votesOf('r3')).toEqual([])
    })

    it('forgets a run’s letters and votes when the run is deleted from history', async () => {
      const { store, addRun, deleteRun } = await start()
      await store.setBlind('r1', ['demo/fast', 'demo/slow'])
      await addRun('r1', [
        { target: 'demo/fast', pico: 1n, ms: 100 },
        { target: 'demo/slow', pico: 2n, ms: 100 },
      ])
      await store.replaceVotes('r1', 'human', [vote({ blind: true })])
      await addRun('r2', [{ target: 'demo/fast', pico: 1n, ms: 100 }])
      await store.replaceVotes('r2', 'human', [vote({ run_id: 'r2' })])
      await deleteRun('r1')
      expect(await store.blindOf('r1')).toBeNull()
      expect(await store.votesOf('r1')).toEqual([])
      expect(await store.resultFigures(['r1'])).toEqual([])
      expect(await store.votesOf('r2')).toHaveLength(1)
    })
  })
}
