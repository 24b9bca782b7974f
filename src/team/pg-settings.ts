import { KeyStore } from '../keys/key-store.ts'
import { CustomProviderStore } from '../settings/custom-providers.ts'
import type { PgPool } from '../storage/postgres/pg-database.ts'
import { PgSettingsDocument } from '../storage/postgres/pg-settings-document.ts'

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
