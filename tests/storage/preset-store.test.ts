import { afterAll, describe, expect, it } from 'vitest'
import { openSqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { SqlitePresetStore } from '../../src/storage/sqlite-preset-store.ts'
import { importExport } from '../../src/storage/import-runs.ts'
import { EXPORT_FORMAT, EXPORT_VERSION_PRESETS } from '../../src/storage/export-format.ts'
import { tempDir } from './fixtures.ts'
import { presetInput as input } from './contract/preset-store-contract.ts'

const tmp = tempDir()
afterAll(() => tmp.cleanup())

// The store's own behaviour is in contract/preset-store-contract.ts (SQLite and PostgreSQL); here, the import
// of a history file with presets.
describe('importing presets with a history file', () => {
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
