import { KeyStore } from '../../keys/key-store.ts'
import { CustomProviderStore } from '../../settings/custom-providers.ts'
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

export interface PgSettings {
  keys: KeyStore
  customProviders: CustomProviderStore
}

/**
 * The stored keys and custom providers of a team deployment, from `settings_documents` ("keys", "providers"),
 * loaded now and written through on every change. Keys are kept only sealed with `secret` (JUXTA_SECRET): without
 * it the store opens (nothing stored can be read) and refuses to store a key.
 */
export async function openPgSettings(
  pool: PgPool,
  options: { secret?: string; log?: (line: string) => void } = {},
): Promise<PgSettings> {
  const log = options.log ?? (() => {})
  const keys = await KeyStore.openShared(new PgSettingsDocument(pool, 'keys'), { secret: options.secret, log })
  const customProviders = await CustomProviderStore.openShared(new PgSettingsDocument(pool, 'providers'), log)
  return { keys, customProviders }
}
