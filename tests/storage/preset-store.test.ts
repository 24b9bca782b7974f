import { afterAll, describe, expect, it } from 'vitest'
import { openSqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { SqlitePresetStore } from '../../src/storage/sqlite-preset-store.ts'
import type { PresetInput } from '../../src/presets/preset-rules.ts'
import { importExport } from '../../src/storage/import-runs.ts'
import { EXPORT_FORMAT, EXPORT_VERSION_PRESETS } from '../../src/storage/export-format.ts'
import { tempDir } from './fixtures.ts'

const tmp = tempDir()
afterAll(() => tmp.cleanup())

const input = (name: string, extra: Partial<PresetInput> = {}): PresetInput => ({
  name,
  prompt: 'Explain WAL mode',
  system: 'Be brief',
  targets: ['demo/fast', 'openai/gpt-4.1-nano'],
  temperature: 0.3,
  max_tokens: 400,
  ...extra,
})

describe('SqlitePresetStore', () => {
  it('creates, lists, reads, renames, replaces and deletes presets in a real database file', async () => {
    let clock = Date.UTC(2026, 0, 1)
    const runs = openSqliteRunStore(tmp.db('crud.db'))
    const store = new SqlitePresetStore(runs.db, () => clock)
    const made = await store.create(input('Review'))
    expect(made).toMatchObject({ ok: true, preset: { ...input('Review'), created_at: '2026-01-01T00:00:00.000Z' } })
    const id = made.ok ? made.preset.id : -1
    await store.create(input('alpha', { system: null, temperature: null, max_tokens: null, targets: [] }))
    expect((await store.list()).map((p) => p.name)).toEqual(['alpha', 'Review'])
    expect(await store.get(id)).toMatchObject({ name: 'Review', targets: ['demo/fast', 'openai/gpt-4.1-nano'] })

    // Names are unique without case, for create and for a rename onto another preset's name.
    expect(await store.create(input('REVIEW'))).toEqual({ ok: false, reason: 'duplicate' })
    expect(await store.update(id, input('Alpha'))).toEqual({ ok: false, reason: 'duplicate' })
    clock += 60_000
    const renamed = await store.update(id, input('Code review', { prompt: 'Review this diff' }))
    expect(renamed).toMatchObject({
      ok: true,
      preset: { name: 'Code review', prompt: 'Review this diff', updated_at: '2026-01-01T00:01:00.000Z' },
    })
    expect(await store.update(9999, input('x'))).toEqual({ ok: false, reason: 'not-found' })

    // Reopening the file gives the same presets back.
    await runs.close()
    const again = openSqliteRunStore(tmp.db('crud.db'))
    const reopened = new SqlitePresetStore(again.db)
    expect((await reopened.list()).map((p) => p.name)).toEqual(['alpha', 'Code review'])
    expect(await reopened.delete(id)).toBe(true)
    expect(await reopened.delete(id)).toBe(false)
    expect(await reopened.get(id)).toBeNull()
    expect((await reopened.exportPresets())[0]).not.toHaveProperty('id')
    await again.close()
  })

  it('imports by name: adds new ones, replaces older stored ones, skips same-age or newer ones', async () => {
    const runs = openSqliteRunStore(tmp.db('import.db'))
    const store = new SqlitePresetStore(runs.db, () => Date.UTC(2026, 5, 1))
    await store.create(input('Kept'))
    await store.create(input('Old'))
    const at = (iso: string) => ({ created_at: iso, updated_at: iso })
    const outcome = await store.importPresets([
      { ...input('New one'), ...at('2026-01-01T00:00:00.000Z') },
      { ...input('old', { prompt: 'newer text' }), ...at('2026-07-01T00:00:00.000Z') },
      { ...input('Kept', { prompt: 'older text' }), ...at('2026-05-01T00:00:00.000Z') },
    ])
    expect(outcome).toEqual({
      added: 1,
      replaced: 1,
      skipped: 1,
      skipped_presets: [
        { index: 2, name: 'Kept', reason: 'a preset with this name and the same or a later change time is stored' },
      ],
    })
    const byName = Object.fromEntries((await store.list()).map((p) => [p.name, p]))
    expect(Object.keys(byName).sort()).toEqual(['Kept', 'New one', 'old'])
    expect(byName.old!.prompt).toBe('newer text')
    expect(byName.Kept!.prompt).toBe('Explain WAL mode')
    await runs.close()
  })

  it('counts every skipped preset of an import, though it lists only the first 100', async () => {
    const runs = openSqliteRunStore(tmp.db('import-many.db'))
    const presets = new SqlitePresetStore(runs.db, () => Date.UTC(2026, 5, 1))
    const at = '2026-01-01T00:00:00.000Z'
    const file = {
      format: EXPORT_FORMAT,
      version: EXPORT_VERSION_PRESETS,
      exported_at: at,
      presets: [
        ...Array.from({ length: 150 }, (_, i) => ({ ...input(`P${i}`), created_at: at, updated_at: at })),
        { name: '', prompt: 'no name' },
      ],
      runs: [],
    }
    const first = await importExport(runs, file, [], { presets })
    expect(first.ok && first.outcome.presets).toMatchObject({ added: 150, skipped: 1 })
    // The same file again: all 150 are already stored (same change time), the invalid one is skipped again.
    const again = await importExport(runs, file, [], { presets })
    if (!again.ok) throw new Error('import refused')
    expect(again.outcome.presets).toMatchObject({ added: 0, replaced: 0, skipped: 151 })
    expect(again.outcome.presets?.skipped_presets).toHaveLength(100)
    await runs.close()
  })
})
