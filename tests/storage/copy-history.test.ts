import { afterAll, describe, expect, it } from 'vitest'
import { SqliteArenaStore } from '../../src/storage/arena-store.ts'
import { copyHistory, type HistoryStores } from '../../src/storage/copy-history.ts'
import { SqlitePresetStore } from '../../src/storage/sqlite-preset-store.ts'
import { openSqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { harness, tempDir } from './fixtures.ts'

const tmp = tempDir()
afterAll(() => tmp.cleanup())

const storesOf = (path: string): HistoryStores => {
  const store = openSqliteRunStore(path)
  return { store, arena: new SqliteArenaStore(store.db), presets: new SqlitePresetStore(store.db) }
}

describe('copying a history through the export format', () => {
  it('carries runs, follow-ups, votes, blind letters and presets in batches; a second copy skips them', async () => {
    const h = harness(tmp.db('from.db'))
    const from: HistoryStores = {
      store: h.store,
      arena: new SqliteArenaStore(h.store.db),
      presets: new SqlitePresetStore(h.store.db),
    }
    const runs = []
    for (let i = 0; i < 5; i++)
      runs.push(await h.run({ prompt: `question ${i}`, targets: ['demo/fast', 'demo/thinker'] }))
    const follow = await h.run({
      prompt: 'and then?',
      targets: ['demo/fast', 'demo/thinker'],
      parentId: runs[0]!.run_id,
    })
    await from.arena!.setBlind(runs[1]!.run_id, ['demo/thinker', 'demo/fast'])
    await from.arena!.replaceVotes(runs[1]!.run_id, 'human', [
      {
        run_id: runs[1]!.run_id,
        source: 'human',
        targets: ['demo/thinker', 'demo/fast'],
        winner: 'demo/fast',
        blind: true,
        created_at: '2026-12-01T10:00:00.000Z',
      },
    ])
    await from.presets!.create({
      name: 'Review',
      prompt: 'Review this',
      system: null,
      targets: ['demo/fast'],
      temperature: null,
      max_tokens: null,
    })

    const to = storesOf(tmp.db('to.db'))
    const batches: number[] = []
    const first = await copyHistory({ from, to, secrets: [], batchSize: 2, onBatch: (p) => batches.push(p.read) })
    expect(first).toMatchObject({ read: 6, imported: 6, skipped: 0, presets: { added: 1, skipped: 0 } })
    expect(batches).toEqual([2, 4, 6])

    for (const run of [...runs, follow]) {
      const a = await from.store.getRun(run.run_id)
      const b = await to.store.getRun(run.run_id)
      expect(b).toEqual(a)
    }
    expect(await to.store.conversationFor(follow.run_id)).toEqual(await from.store.conversationFor(follow.run_id))
    expect(await to.arena!.blindOf(runs[1]!.run_id)).toEqual(['demo/thinker', 'demo/fast'])
    expect((await to.arena!.votesOf(runs[1]!.run_id)).map((v) => v.winner)).toEqual(['demo/fast'])
    expect((await to.presets!.list()).map((p) => p.name)).toEqual(['Review'])

    const again = await copyHistory({ from, to, secrets: [], batchSize: 4 })
    expect(again).toMatchObject({ read: 6, imported: 0, skipped: 6 })
    expect(again.skipped_runs.map((s) => s.index)).toEqual([0, 1, 2, 3, 4, 5])
  })
})
