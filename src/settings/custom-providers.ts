import { z } from 'zod'
import { ConfigSchema, ProviderSchema, type AppConfig, type ProviderConfig } from '../config/schema.ts'
import { formatPath } from '../config/load.ts'
import { changeThenSave, readPrivateFile, writePrivateFile } from '../keys/private-file.ts'
import { urlProblem } from '../security/base-url.ts'
import { SerialQueue, type SharedDocument, WRITE_ATTEMPTS } from './shared-document.ts'

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

type Backing = { kind: 'memory' } | { kind: 'file'; path: string } | { kind: 'database'; doc: SharedDocument }

/**
 * Providers added in the settings page, kept in `providers.json` in the data directory (or, for a team, in one
 * database document every instance reads) and merged with the config file at start and on every change. The
 * config file wins on an id clash: its providers (and the env keys they carry) can never be redirected from the
 * page. Reads are synchronous from memory; changes write through.
 */
export class CustomProviderStore {
  private providers = new Map<string, ProviderConfig>()
  /** The shared document's version that `providers` reflects. */
  private version = 0
  private readonly queue = new SerialQueue()

  private constructor(
    private readonly backing: Backing,
    entries: Record<string, unknown>,
    private readonly log: (line: string) => void,
  ) {
    this.adopt(entries)
  }

  static open(path: string, log: (line: string) => void = () => {}): CustomProviderStore {
    return new CustomProviderStore({ kind: 'file', path }, readProvidersFile(path, log), log)
  }

  /** Opens the providers kept in a shared database document (see `openPgSettings`). */
  static async openShared(doc: SharedDocument, log: (line: string) => void = () => {}): Promise<CustomProviderStore> {
    const stored = await doc.read()
    const entries = stored ? parseProvidersFile(stored.text, doc.description) : {}
    const store = new CustomProviderStore({ kind: 'database', doc }, entries, log)
    store.version = stored?.version ?? 0
    return store
  }

  static inMemory(): CustomProviderStore {
    return new CustomProviderStore({ kind: 'memory' }, {}, () => {})
  }

  /** The file's path; null unless the providers live in a file. */
  get path(): string | null {
    return this.backing.kind === 'file' ? this.backing.path : null
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

  /** A file or memory store has changed when this returns; a database store when the promise resolves. */
  put(id: string, provider: ProviderConfig): Promise<void> {
    return this.change(id, provider)
  }

  remove(id: string): Promise<boolean> {
    if (!this.providers.has(id)) return Promise.resolve(false)
    return this.change(id, undefined).then(() => true)
  }

  /** Reads the file or document again: another instance may have changed it. */
  reload(): Promise<void> {
    const { backing } = this
    if (backing.kind === 'memory') return Promise.resolve()
    if (backing.kind === 'file') {
      this.adopt(readProvidersFile(backing.path, this.log))
      return Promise.resolve()
    }
    return this.queue.run(() => this.reloadShared(backing.doc))
  }

  private adopt(entries: Record<string, unknown>): void {
    const providers = new Map<string, ProviderConfig>()
    const where = this.backing.kind === 'database' ? this.backing.doc.description : this.path
    for (const [id, raw] of Object.entries(entries)) {
      const checked = validateCustomProvider(id, raw)
      if (checked.ok) providers.set(id, checked.value)
      else
        this.log(
          `providers: skipped "${id.slice(0, 40)}" from ${where}: ` +
            checked.issues.map((i) => `${i.path}: ${i.message}`).join('; '),
        )
    }
    this.providers = providers
  }

  /**
   * Applies one change and writes it. A file: when the write fails, memory is put back as it was. A shared
   * document: written over the version read, kept only once written; another instance's newer document is read
   * and the change applied to it again.
   */
  private change(id: string, next: ProviderConfig | undefined): Promise<void> {
    const { backing } = this
    if (backing.kind !== 'database') {
      changeThenSave(this.providers, id, next, () => this.save())
      return Promise.resolve()
    }
    return this.queue.run(async () => {
      for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
        const draft = new Map(this.providers)
        if (next) draft.set(id, next)
        else draft.delete(id)
        if (await backing.doc.write(serialize(draft), this.version)) {
          this.providers = draft
          this.version++
          return
        }
        await this.reloadShared(backing.doc)
      }
      throw new ProviderFileError('the custom providers kept changing on another instance; try again')
    })
  }

  private async reloadShared(doc: SharedDocument): Promise<void> {
    const stored = await doc.read()
    if (!stored || stored.version === this.version) return
    this.adopt(parseProvidersFile(stored.text, doc.description))
    this.version = stored.version
  }

  private save(): void {
    if (this.backing.kind === 'file') writePrivateFile(this.backing.path, serialize(this.providers))
  }
}

const serialize = (providers: ReadonlyMap<string, ProviderConfig>) =>
  `${JSON.stringify({ version: 1, providers: Object.fromEntries(providers) }, null, 2)}\n`

function readProvidersFile(path: string, log: (line: string) => void): Record<string, unknown> {
  let text: string | undefined
  try {
    text = readPrivateFile(path, log)
  } catch (err) {
    throw new ProviderFileError(`cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  return text === undefined ? {} : parseProvidersFile(text, path)
}

function parseProvidersFile(text: string, where: string): Record<string, unknown> {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw new ProviderFileError(`${where} is not valid JSON; fix it or move it away (Juxta will not overwrite it)`)
  }
  const file = ProvidersFile.safeParse(raw)
  if (!file.success)
    throw new ProviderFileError(`${where} has an unknown format; fix it or move it away (Juxta will not overwrite it)`)
  return file.data.providers
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
