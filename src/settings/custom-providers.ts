import { z } from 'zod'
import { ConfigSchema, ProviderSchema, type AppConfig, type ProviderConfig } from '../config/schema.ts'
import { formatPath } from '../config/load.ts'
import { changeThenSave, readPrivateFile, writePrivateFile } from '../keys/private-file.ts'
import { urlProblem } from '../security/base-url.ts'

export const ProviderIdSchema = ConfigSchema.shape.providers.keyType

/**
 * A provider added in the settings page: the config file's provider schema, minus what only the config file
 * may say (`builtin`; keys go to the key store, never here), plus the address rules for base URLs.
 */
export const CustomProviderSchema = ProviderSchema.superRefine((p, ctx) => {
  if (p.builtin)
    ctx.addIssue({ code: 'custom', path: ['builtin'], message: 'only the config file can declare a builtin provider' })
  if (p.api_key !== undefined)
    ctx.addIssue({ code: 'custom', path: ['api_key'], message: 'keys are stored separately, not in the provider' })
  const problem = p.base_url ? urlProblem(p.base_url) : undefined
  if (problem) ctx.addIssue({ code: 'custom', path: ['base_url'], message: problem })
})

const ProvidersFile = z.strictObject({ version: z.literal(1), providers: z.record(z.string(), z.unknown()) })

export class ProviderFileError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ProviderFileError'
  }
}

export interface Issue {
  path: string
  message: string
}

export function validateCustomProvider(
  id: string,
  raw: unknown,
): { ok: true; value: ProviderConfig } | { ok: false; issues: Issue[] } {
  const issues: Issue[] = []
  const idCheck = ProviderIdSchema.safeParse(id)
  if (!idCheck.success) issues.push({ path: 'id', message: idCheck.error.issues[0]?.message ?? 'invalid id' })
  const parsed = CustomProviderSchema.safeParse(raw)
  if (!parsed.success)
    for (const i of parsed.error.issues) issues.push({ path: formatPath(i.path), message: i.message })
  return issues.length === 0 && parsed.success ? { ok: true, value: parsed.data } : { ok: false, issues }
}

/**
 * Providers added in the settings page, kept in `providers.json` in the data directory and merged with the
 * config file at start and on every change. The config file wins on an id clash: its providers (and the
 * env keys they carry) can never be redirected from the page.
 */
export class CustomProviderStore {
  private readonly providers = new Map<string, ProviderConfig>()

  private constructor(
    readonly path: string | null,
    entries: Record<string, unknown>,
    log: (line: string) => void,
  ) {
    for (const [id, raw] of Object.entries(entries)) {
      const checked = validateCustomProvider(id, raw)
      if (checked.ok) this.providers.set(id, checked.value)
      else
        log(
          `providers: skipped "${id.slice(0, 40)}" from ${path}: ` +
            checked.issues.map((i) => `${i.path}: ${i.message}`).join('; '),
        )
    }
  }

  static open(path: string, log: (line: string) => void = () => {}): CustomProviderStore {
    let text: string | undefined
    try {
      text = readPrivateFile(path, log)
    } catch (err) {
      throw new ProviderFileError(`cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
    }
    if (text === undefined) return new CustomProviderStore(path, {}, log)
    let raw: unknown
    try {
      raw = JSON.parse(text)
    } catch {
      throw new ProviderFileError(`${path} is not valid JSON; fix it or move it away (Juxta will not overwrite it)`)
    }
    const file = ProvidersFile.safeParse(raw)
    if (!file.success)
      throw new ProviderFileError(`${path} has an unknown format; fix it or move it away (Juxta will not overwrite it)`)
    return new CustomProviderStore(path, file.data.providers, log)
  }

  static inMemory(): CustomProviderStore {
    return new CustomProviderStore(null, {}, () => {})
  }

  all(): ReadonlyMap<string, ProviderConfig> {
    return this.providers
  }

  get(id: string): ProviderConfig | undefined {
    return this.providers.get(id)
  }

  has(id: string): boolean {
    return this.providers.has(id)
  }

  put(id: string, provider: ProviderConfig): void {
    this.change(id, provider)
  }

  remove(id: string): boolean {
    if (!this.providers.has(id)) return false
    this.change(id, undefined)
    return true
  }

  /** Applies one change and writes the file; when the write fails, memory is put back as it was. */
  private change(id: string, next: ProviderConfig | undefined): void {
    changeThenSave(this.providers, id, next, () => this.save())
  }

  private save(): void {
    if (this.path === null) return
    const file = { version: 1, providers: Object.fromEntries(this.providers) }
    writePrivateFile(this.path, `${JSON.stringify(file, null, 2)}\n`)
  }
}

/** The config's providers, then the custom ones it does not already define. */
export function mergeProviders(
  config: AppConfig,
  custom: CustomProviderStore,
): { config: AppConfig; shadowed: string[] } {
  const providers = { ...config.providers }
  const shadowed: string[] = []
  for (const [id, p] of custom.all()) {
    if (id in config.providers) shadowed.push(id)
    else providers[id] = p
  }
  return { config: { ...config, providers }, shadowed }
}
