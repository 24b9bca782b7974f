import { afterEach, describe, expect, it } from 'vitest'
import type { PresetInput } from '../../../src/presets/preset-rules.ts'
import type { PresetStore } from '../../../src/storage/preset-store.ts'

/** One database for one test: a preset store on it (with this clock), and the same database opened again. */
export interface PresetHarness {
  store: PresetStore
  /** Closes the store's connection and opens the same database again (what is stored must still be there). */
  reopen(): Promise<PresetStore>
  close(): Promise<void>
}

export type OpenPresetStore = (now: () => number) => Promise<PresetHarness>

export const presetInput = (name: string, extra: Partial<PresetInput> = {}): PresetInput => ({
  name,
  prompt: 'Explain WAL mode',
  system: 'Be brief',
  targets: ['demo/fast', 'openai/gpt-4.1-nano'],
  temperature: 0.3,
  max_tokens: 400,
  ...extra,
})

const NOT_NEWER = 'a preset with this name and the same or a later change time is stored'

/** What every PresetStore does, whatever the database (run against SQLite and PostgreSQL). */
export function presetStoreContract(name: string, open: OpenPresetStore): void {
  describe(`PresetStore contract: ${name}`, () => {
    let harness: PresetHarness | null = null
    let clock = Date.UTC(2026, 0, 1)
    const start = async (at = Date.UTC(2026, 0, 1)) => {
      clock = at
      harness = await open(() => clock)
      return harness
    }
    afterEach(async () => {
      await harness?.close()
      harness = null
    })

    it('creates, lists, reads, renames, replaces and deletes presets, and keeps them across a reopen', async () => {
      const { store, reopen } = await start()
      const made = await store.create(presetInput('Review'))
      expect(made).toEqual({
        ok: true,
        preset: {
          ...presetInput('Review'),
          id: expect.any(Number),
          created_at: '2026-01-01T00:00:00.000Z',
          updated_at: '2026-01-01T00:00:00.000Z',
        },
      })
      const id = made.ok ? made.preset.id : -1
      const bare = presetInput('alpha', { system: null, temperature: null, max_tokens: null, targets: [] })
      const alpha = await store.create(bare)
      expect(alpha).toMatchObject({ ok: true, preset: bare })
      expect((await store.list()).map((p) => p.name)).toEqual(['alpha', 'Review'])
      expect(await store.get(id)).toEqual(made.ok ? made.preset : null)

      // Names are unique without case, for create and for a rename onto another preset's name.
      expect(await store.create(presetInput('REVIEW'))).toEqual({ ok: false, reason: 'duplicate' })
      expect(await store.update(id, presetInput('Alpha'))).toEqual({ ok: false, reason: 'duplicate' })
      clock += 60_000
      const renamed = await store.update(id, presetInput('Code review', { prompt: 'Review this diff' }))
      expect(renamed).toEqual({
        ok: true,
        preset: {
          ...presetInput('Code review', { prompt: 'Review this diff' }),
          id,
          created_at: '2026-01-01T00:00:00.000Z',
          updated_at: '2026-01-01T00:01:00.000Z',
        },
      })
      // A rename that changes only the case of its own name is allowed.
      expect(await store.update(id, presetInput('code REVIEW'))).toMatchObject({ ok: true, preset: { id } })
      expect(await store.update(id, presetInput('Code review'))).toMatchObject({ ok: true })
      expect(await store.update(9999, presetInput('x'))).toEqual({ ok: false, reason: 'not-found' })
      expect(await store.get(9999)).toBeNull()

      const reopened = await reopen()
      expect((await reopened.list()).map((p) => p.name)).toEqual(['alpha', 'Code review'])
      expect(await reopened.delete(id)).toBe(true)
      expect(await reopened.delete(id)).toBe(false)
      expect(await reopened.get(id)).toBeNull()
      // A deleted name is free again.
      expect(await reopened.create(presetInput('review'))).toMatchObject({ ok: true, preset: { name: 'review' } })
      const exported = await reopened.exportPresets()
      expect(exported.map((p) => p.name)).toEqual(['alpha', 'review'])
      expect(exported[0]).toEqual({
        ...bare,
        created_at: '2026-01-01T00:00:00.000Z',
        updated_at: '2026-01-01T00:00:00.000Z',
      })
    })

    it('sorts by name without case, then by id; folds ASCII letters only, as SQLite NOCASE does', async () => {
      const { store } = await start()
      for (const n of ['beta', 'Gamma', 'Alpha', 'alpha two', 'Zeta', 'Élan', 'élan', '_under', '10']) {
        expect(await store.create(presetInput(n))).toMatchObject({ ok: true })
      }
      // Byte order after folding A–Z to a–z: digits, '_' (0x5f), letters, then the bytes of non-ASCII text.
      expect((await store.list()).map((p) => p.name)).toEqual([
        '10',
        '_under',
        'Alpha',
        'alpha two',
        'beta',
        'Gamma',
        'Zeta',
        'Élan',
        'élan',
      ])
      expect(await store.create(presetInput('ZETA'))).toEqual({ ok: false, reason: 'duplicate' })
      expect(await store.create(presetInput('zeta '))).toMatchObject({ ok: true })
    })

    it('keeps every field exactly (numbers, nulls, long and non-ASCII text)', async () => {
      const { store } = await start()
      const odd = presetInput('Ünïcode ✓', {
        prompt: `${'x'.repeat(20_000)} — "quotes" 'and' \\ backslashes\n\ttabs 🎉`,
        system: '',
        targets: ['a/b', 'c/d:e', 'ω/ψ'],
        temperature: 0.1 + 0.2,
        max_tokens: 2_000_000,
      })
      const made = await store.create(odd)
      expect(made).toMatchObject({ ok: true, preset: odd })
      expect(await store.get(made.ok ? made.preset.id : -1)).toMatchObject(odd)
      // U+0000 (PostgreSQL text cannot hold it) is stored, as U+FFFD there.
      const nul = await store.create(presetInput('nul', { prompt: 'a\0b' }))
      expect(['a\0b', 'a\uFFFDb']).toContain(nul.ok ? nul.preset.prompt : null)
    })

    it('imports by name: adds new ones, replaces older stored ones, skips same-age or newer ones', async () => {
      const { store } = await start(Date.UTC(2026, 5, 1))
      await store.create(presetInput('Kept'))
      await store.create(presetInput('Old'))
      const at = (iso: string) => ({ created_at: iso, updated_at: iso })
      const outcome = await store.importPresets([
        { ...presetInput('New one'), ...at('2026-01-01T00:00:00.000Z') },
        { ...presetInput('old', { prompt: 'newer text' }), ...at('2026-07-01T00:00:00.000Z') },
        { ...presetInput('Kept', { prompt: 'older text' }), ...at('2026-05-01T00:00:00.000Z') },
        { ...presetInput('KEPT', { prompt: 'same age' }), ...at('2026-06-01T00:00:00.000Z') },
      ])
      expect(outcome).toEqual({
        added: 1,
        replaced: 1,
        skipped: 2,
        skipped_presets: [
          { index: 2, name: 'Kept', reason: NOT_NEWER },
          { index: 3, name: 'KEPT', reason: NOT_NEWER },
        ],
      })
      const byName = Object.fromEntries((await store.list()).map((p) => [p.name, p]))
      expect(Object.keys(byName)).toEqual(['Kept', 'New one', 'old'])
      // A replaced preset takes the imported fields and change time, and keeps its creation time.
      expect(byName.old).toMatchObject({
        prompt: 'newer text',
        created_at: '2026-06-01T00:00:00.000Z',
        updated_at: '2026-07-01T00:00:00.000Z',
      })
      expect(byName['New one']).toMatchObject({ created_at: '2026-01-01T00:00:00.000Z' })
      expect(byName.Kept!.prompt).toBe('Explain WAL mode')
    })

    it('imports a file naming one preset twice: the later change wins, in file order', async () => {
      const { store } = await start()
      const created_at = '2026-01-01T00:00:00.000Z'
      const outcome = await store.importPresets([
        { ...presetInput('Twice', { prompt: 'first' }), created_at, updated_at: '2026-01-02T00:00:00.000Z' },
        { ...presetInput('twice', { prompt: 'second' }), created_at, updated_at: '2026-01-03T00:00:00.000Z' },
        { ...presetInput('TWICE', { prompt: 'third' }), created_at, updated_at: '2026-01-03T00:00:00.000Z' },
      ])
      expect(outcome).toMatchObject({ added: 1, replaced: 1, skipped: 1 })
      expect(await store.list()).toMatchObject([{ name: 'twice', prompt: 'second' }])
    })

    it('counts every skipped preset, though it lists only the first 100', async () => {
      const { store } = await start()
      const at = '2026-01-01T00:00:00.000Z'
      const file = Array.from({ length: 150 }, (_, i) => ({ ...presetInput(`P${i}`), created_at: at, updated_at: at }))
      expect(await store.importPresets(file)).toMatchObject({ added: 150, skipped: 0 })
      const again = await store.importPresets(file)
      expect(again).toMatchObject({ added: 0, replaced: 0, skipped: 150 })
      expect(again.skipped_presets).toHaveLength(100)
      expect(again.skipped_presets[99]).toEqual({ index: 99, name: 'P99', reason: NOT_NEWER })
      expect(await store.list()).toHaveLength(150)
    })
  })
}
