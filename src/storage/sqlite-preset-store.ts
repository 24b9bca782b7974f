import type Database from 'better-sqlite3'
import type { Preset, PresetInput } from '../presets/preset-rules.ts'
import { type PresetRow, presetImportTally, presetValues as values, toPreset } from './preset-rows.ts'
import type { SqliteDatabase } from './database.ts'
import type { ExportedPreset, PresetImportOutcome, PresetStore, PresetWrite } from './preset-store.ts'

type Statement = Database.Statement<unknown[]>

/** Presets in the history database (table `presets`, migration 6). */
export class SqlitePresetStore implements PresetStore {
  private readonly listStmt: Statement
  private readonly getStmt: Statement
  private readonly byNameStmt: Statement
  private readonly insertStmt: Statement
  private readonly updateStmt: Statement
  private readonly deleteStmt: Statement

  constructor(
    private readonly db: SqliteDatabase,
    private readonly now: () => number = Date.now,
  ) {
    this.listStmt = db.prepare('SELECT * FROM presets ORDER BY name COLLATE NOCASE, id')
    this.getStmt = db.prepare('SELECT * FROM presets WHERE id = ?')
    this.byNameStmt = db.prepare('SELECT * FROM presets WHERE name = ?')
    this.insertStmt = db.prepare(
      `INSERT INTO presets (name, created_at, updated_at, temperature, max_tokens, targets, system, prompt)
       VALUES (@name, @created_at, @updated_at, @temperature, @max_tokens, @targets, @system, @prompt)`,
    )
    this.updateStmt = db.prepare(
      `UPDATE presets SET name = @name, updated_at = @updated_at, temperature = @temperature,
       max_tokens = @max_tokens, targets = @targets, system = @system, prompt = @prompt WHERE id = @id`,
    )
    this.deleteStmt = db.prepare('DELETE FROM presets WHERE id = ?')
  }

  async list(): Promise<Preset[]> {
    return (this.listStmt.all() as PresetRow[]).map(toPreset)
  }

  async get(id: number): Promise<Preset | null> {
    const row = this.getStmt.get(id) as PresetRow | undefined
    return row ? toPreset(row) : null
  }

  async create(input: PresetInput): Promise<PresetWrite> {
    const at = this.now()
    return this.write(() => this.insertStmt.run({ ...values(input), created_at: at, updated_at: at }).lastInsertRowid)
  }

  async update(id: number, input: PresetInput): Promise<PresetWrite> {
    return this.write(() => {
      const changed = this.updateStmt.run({ ...values(input), updated_at: this.now(), id }).changes
      return changed > 0 ? id : null
    })
  }

  async delete(id: number): Promise<boolean> {
    return this.deleteStmt.run(id).changes > 0
  }

  async exportPresets(): Promise<ExportedPreset[]> {
    return (await this.list()).map(({ id: _id, ...rest }) => rest)
  }

  async importPresets(presets: ExportedPreset[]): Promise<PresetImportOutcome> {
    const { outcome, skip } = presetImportTally()
    this.db
      .transaction(() => {
        presets.forEach((p, index) => {
          const row = {
            ...values(p),
            created_at: Date.parse(p.created_at),
            updated_at: Date.parse(p.updated_at),
          }
          const stored = this.byNameStmt.get(p.name) as PresetRow | undefined
          if (!stored) {
            this.insertStmt.run(row)
            outcome.added++
          } else if (row.updated_at > stored.updated_at) {
            this.updateStmt.run({ ...row, id: stored.id })
            outcome.replaced++
          } else {
            skip(index, p.name)
          }
        })
      })
      .immediate()
    return outcome
  }

  /** Runs an insert or update; a name already taken (UNIQUE, without case) is a duplicate, not an error. */
  private write(run: () => number | bigint | null): PresetWrite {
    let id: number | bigint | null
    try {
      id = run()
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return { ok: false, reason: 'duplicate' }
      throw err
    }
    const row = id === null ? undefined : (this.getStmt.get(id) as PresetRow | undefined)
    return row ? { ok: true, preset: toPreset(row) } : { ok: false, reason: 'not-found' }
  }
}
