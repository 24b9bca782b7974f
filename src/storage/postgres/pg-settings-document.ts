import type { DocumentVersion, SharedDocument } from '../../settings/shared-document.ts'
import type { PgPool } from './pg-database.ts'

/** A settings document as one row of `settings_documents`, written only over the version it was read at. */
export class PgSettingsDocument implements SharedDocument {
  readonly description: string

  constructor(
    private readonly pool: PgPool,
    readonly name: string,
  ) {
    this.description = `database document "${name}"`
  }

  async read(): Promise<DocumentVersion | undefined> {
    const { rows } = await this.pool.query<{ body: string; version: string }>(
      'SELECT body, version FROM settings_documents WHERE name = $1',
      [this.name],
    )
    const row = rows[0]
    return row ? { text: row.body, version: Number(row.version) } : undefined
  }

  async write(text: string, version: number): Promise<boolean> {
    const result =
      version === 0
        ? await this.pool.query(
            `INSERT INTO settings_documents (name, body, version) VALUES ($1, $2, 1)
             ON CONFLICT (name) DO NOTHING`,
            [this.name, text],
          )
        : await this.pool.query(
            `UPDATE settings_documents SET body = $2, version = version + 1, updated_at = now()
             WHERE name = $1 AND version = $3`,
            [this.name, text, version],
          )
    return result.rowCount === 1
  }
}
