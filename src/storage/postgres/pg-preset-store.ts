import { textParam } from './pg-query.ts'
import type { Preset, PresetInput } from '../../presets/preset-rules.ts'
import { type PresetRow, presetImportTally, presetValues, toPreset } from '../preset-rows.ts'
import type { ExportedPreset, PresetImportOutcome, PresetStore, PresetWrite } from '../preset-store.ts'
import { type PgPool, pgTransaction } from './pg-database.ts'

// Rows in the shape of preset-rows.ts (shared with SQLite). Names compare and sort as SQLite's NOCASE:
// juxta_nocase (ASCII letters folded, schema-studies.ts) in byte order.
const COLUMNS = `id, name, created_at::float8 AS created_at, updated_at::float8 AS updated_at, temperature, max_tokens,
  targets, system, prompt`

const SQL = {
  list: `SELECT ${COLUMNS} FROM presets ORDER BY juxta_nocase(name) COLLATE "C", id`,
  get: `SELECT ${COLUMNS} FROM presets WHERE id = $1`,
  byNameForUpdate: `SELECT ${COLUMNS} FROM presets WHERE juxta_nocase(name) COLLATE "C" = juxta_nocase($1)
    FOR UPDATE`,
  insert: `INSERT INTO presets (name, created_at, updated_at, temperature, max_tokens, targets, system, prompt)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
  update: `UPDATE presets SET name = $1, updated_at = $3, temperature = $4, max_tokens = $5, targets = $6,
    system = $7, prompt = $8 WHERE id = $2 RETURNING ${COLUMNS}`,
  delete: 'DELETE FROM presets WHERE id = $1',
}

const UNIQUE_VIOLATION = '23505'
/** Ids are INTEGER: a larger one names no preset (and would be refused by the server). */
const MAX_ID = 2 ** 31 - 1

type Row = { name: string; temperature: number | null; max_tokens: number | null; targets: string } & Pick<
  PresetInput,
  'system' | 'prompt'
>

/** $1 name, $2 created_at or id, $3 updated_at, then the fields. */
function params(v: Row, second: number, updatedAt: number): unknown[] {
  const t = textParam
  return [t(v.name), second, updatedAt, v.temperature, v.max_tokens, v.targets, t(v.system), t(v.prompt)]
}

/** Presets in PostgreSQL (migration 2), the same behaviour as SqlitePresetStore. */
export class PgPresetStore implements PresetStore {
  constructor(
    private readonly pool: PgPool,
    private readonly now: () => number = Date.now,
  ) {}

  async list(): Promise<Preset[]> {
    const { rows } = await this.pool.query<PresetRow>(SQL.list)
    return rows.map(toPreset)
  }

  async get(id: number): Promise<Preset | null> {
    if (!validId(id)) return null
    const { rows } = await this.pool.query<PresetRow>(SQL.get, [id])
    return rows[0] ? toPreset(rows[0]) : null
  }

  async create(input: PresetInput): Promise<PresetWrite> {
    const at = this.now()
    return this.write(SQL.insert, params(presetValues(input), at, at))
  }

  async update(id: number, input: PresetInput): Promise<PresetWrite> {
    if (!validId(id)) return { ok: false, reason: 'not-found' }
    return this.write(SQL.update, params(presetValues(input), id, this.now()))
  }

  async delete(id: number): Promise<boolean> {
    if (!validId(id)) return false
    const { rowCount } = await this.pool.query(SQL.delete, [id])
    return (rowCount ?? 0) > 0
  }

  async exportPresets(): Promise<ExportedPreset[]> {
    return (await this.list()).map(({ id: _id, ...rest }) => rest)
  }

  async importPresets(presets: ExportedPreset[]): Promise<PresetImportOutcome> {
    const { outcome, skip } = presetImportTally()
    await pgTransaction(this.pool, async (client) => {
      for (const [index, p] of presets.entries()) {
        const values = presetValues(p)
        const updatedAt = Date.parse(p.updated_at)
        const { rows } = await client.query<PresetRow>(SQL.byNameForUpdate, [p.name])
        const stored = rows[0]
        if (!stored) {
          await client.query(SQL.insert, params(values, Date.parse(p.created_at), updatedAt))
          outcome.added++
        } else if (updatedAt > stored.updated_at) {
          await client.query(SQL.update, params(values, stored.id, updatedAt))
          outcome.replaced++
        } else {
          skip(index, p.name)
        }
      }
    })
    return outcome
  }

  /** Runs an insert or update; a name already taken (unique without case) is a duplicate, not an error. */
  private async write(sql: string, values: unknown[]): Promise<PresetWrite> {
    try {
      const { rows } = await this.pool.query<PresetRow>(sql, values)
      return rows[0] ? { ok: true, preset: toPreset(rows[0]) } : { ok: false, reason: 'not-found' }
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) return { ok: false, reason: 'duplicate' }
      throw err
    }
  }
}

function validId(id: number): boolean {
  return Number.isSafeInteger(id) && id >= -MAX_ID - 1 && id <= MAX_ID
}
