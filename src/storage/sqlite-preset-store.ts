import type Database from 'better-sqlite3'
import type { Preset, PresetInput } from '../presets/preset-rules.ts'
import type { SqliteDatabase } from './database.ts'
import type { ExportedPreset, PresetImportOutcome, PresetStore, PresetWrite } from './preset-store.ts'

type Statement = Database.Statement<unknown[]>

interface PresetRow {
  id: number
  name: string
  created_at: number
  updated_at: number
  temperature: number | null
  max_tokens: number | null
  targets: string
  system: string | null
  prompt: string
}

const MAX_LISTED = 100

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
    const outcome: PresetImportOutcome = { added: 0, replaced: 0, skipped: 0, skipped_presets: [] }
    const skip = (index: number, name: string, reason: string) => {
      outcome.skipped++
      if (outcome.skipped_presets.length < MAX_LISTED) outcome.skipped_presets.push({ index, name, reason })
    }
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
            skip(index, p.name, 'a preset with this name and the same or a later change time is stored')
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

function values(p: PresetInput) {
  return {
    name: p.name,
    temperature: p.temperature,
    max_tokens: p.max_tokens,
    targets: JSON.stringify(p.targets),
    system: p.system,
    prompt: p.prompt,
  }
}

function toPreset(row: PresetRow): Preset {
  let targets: string[] = []
  try {
    const parsed: unknown = JSON.parse(row.targets)
    if (Array.isArray(parsed)) targets = parsed.filter((t): t is string => typeof t === 'string')
  } catch {
    // A damaged list loads as no targets rather than failing the whole page.
  }
  return {
    id: row.id,
    name: row.name,
    prompt: row.prompt,
    system: row.system,
    targets,
    temperature: row.temperature,
    max_tokens: row.max_tokens,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  }
}
