import { z } from 'zod'
import type { StoredKeyLookup } from '../providers/catalog.ts'
import { originOf } from '../security/base-url.ts'
import { KeyCipher, keyBinding, newKdfParams, type KdfParams } from './key-cipher.ts'
import { changeThenSave, readPrivateFile, writePrivateFile } from './private-file.ts'
import { SerialQueue, type SharedDocument, WRITE_ATTEMPTS } from '../settings/shared-document.ts'

const Sealed = z.strictObject({ nonce: z.string(), data: z.string(), tag: z.string() })
const Entry = z.union([
  z.strictObject({ origin: z.string(), sealed: Sealed }),
  z.strictObject({ origin: z.string(), plain: z.string() }),
])
type Entry = z.infer<typeof Entry>
const KeyFile = z.strictObject({
  version: z.literal(1),
  kdf: z
    .strictObject({
      kdf: z.literal('scrypt'),
      salt: z.string(),
      N: z.number().int(),
      r: z.number().int(),
      p: z.number().int(),
    })
    .optional(),
  keys: z.record(z.string(), Entry),
})
type KeyFile = z.infer<typeof KeyFile>

export class KeyStoreError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'KeyStoreError'
  }
}

/** What the settings page may know about a stored key: never the key itself. */
export type StoredKeyState =
  | { kind: 'none' }
  | { kind: 'stored'; key: string }
  | { kind: 'other-origin'; origin: string }
  | { kind: 'unreadable' }

export interface KeyStoreOptions {
  /** JUXTA_SECRET: when set, every key is written AES-256-GCM encrypted. */
  secret?: string
  log?: (line: string) => void
}

interface Held {
  entry: Entry
  /** Undefined when the entry cannot be decrypted with the current secret. */
  key: string | undefined
}

/** Where the keys live: memory only, a 0600 file, or a database document shared by every instance. */
export type KeyStorage = 'memory' | 'file' | 'database'

type Backing = { kind: 'memory' } | { kind: 'file'; path: string } | { kind: 'database'; doc: SharedDocument }

const EMPTY: KeyFile = { version: 1, keys: {} }

/**
 * API keys entered in the settings page, in one 0600 JSON file (never in the history database), or, for a team
 * (DATABASE_URL), in one database document that every instance reads: there only sealed with JUXTA_SECRET, never
 * in plaintext. Each key is bound to the origin of the base URL it was saved for and is handed out only for that
 * origin. Reads are synchronous from memory (the catalog asks per request); changes write through.
 */
export class KeyStore implements StoredKeyLookup {
  private held = new Map<string, Held>()
  private kdf: KdfParams | undefined
  private cipher: KeyCipher | undefined
  /** The shared document's version that `held` reflects. */
  private version = 0
  private readonly queue = new SerialQueue()

  private constructor(
    private readonly backing: Backing,
    file: KeyFile,
    private readonly secret: string | undefined,
    private readonly log: (line: string) => void,
  ) {
    const plain = this.adopt(file)
    if (plain > 0 && backing.kind === 'file') {
      this.save()
      log('keys: stored keys are now encrypted with JUXTA_SECRET')
    }
  }

  /**
   * Opens (or starts) the key file. Throws KeyStoreError when it exists but is unreadable, rather than
   * overwrite it.
   */
  static open(path: string, options: KeyStoreOptions = {}): KeyStore {
    const log = options.log ?? (() => {})
    return new KeyStore({ kind: 'file', path }, readKeyFile(path, log), options.secret, log)
  }

  /**
   * Opens the keys kept in a shared database document (see `openPgSettings`). Throws KeyStoreError when the
   * document is not a key file, rather than overwrite it.
   */
  static async openShared(doc: SharedDocument, options: KeyStoreOptions = {}): Promise<KeyStore> {
    const stored = await doc.read()
    const file = stored ? parseKeyFile(stored.text, doc.description) : EMPTY
    const store = new KeyStore({ kind: 'database', doc }, file, options.secret, options.log ?? (() => {}))
    store.version = stored?.version ?? 0
    return store
  }

  static inMemory(options: KeyStoreOptions = {}): KeyStore {
    return new KeyStore({ kind: 'memory' }, EMPTY, options.secret, options.log ?? (() => {}))
  }

  /** The key file's path; null unless the keys live in a file. */
  get path(): string | null {
    return this.backing.kind === 'file' ? this.backing.path : null
  }

  get storage(): KeyStorage {
    return this.backing.kind
  }

  get encrypted(): boolean {
    return this.cipher !== undefined
  }

  get(providerId: string, baseURL: string): string | undefined {
    const held = this.held.get(providerId)
    const origin = originOf(baseURL)
    return held && origin !== undefined && held.entry.origin === origin ? held.key : undefined
  }

  state(providerId: string, baseURL: string): StoredKeyState {
    const held = this.held.get(providerId)
    if (!held) return { kind: 'none' }
    if (held.entry.origin !== originOf(baseURL)) return { kind: 'other-origin', origin: held.entry.origin }
    return held.key === undefined ? { kind: 'unreadable' } : { kind: 'stored', key: held.key }
  }

  /**
   * Saves (or replaces) the key for a provider, bound to the origin of `baseURL`. A file or memory store has
   * changed when this returns (the promise is already settled); a database store when the promise resolves.
   */
  set(providerId: string, baseURL: string, key: string): Promise<void> {
    const origin = originOf(baseURL)
    if (!origin) throw new KeyStoreError('a key can only be stored for an http(s) base URL')
    if (this.backing.kind === 'database' && !this.secret) {
      throw new KeyStoreError('keys are kept in the database only encrypted: set JUXTA_SECRET to store one')
    }
    return this.change(providerId, () => ({
      entry: this.cipher ? this.seal(providerId, origin, key) : { origin, plain: key },
      key,
    }))
  }

  /** Whether there was a key to delete. */
  delete(providerId: string): Promise<boolean> {
    if (!this.held.has(providerId)) return Promise.resolve(false)
    return this.change(providerId, () => undefined).then(() => true)
  }

  /** Drops the provider's key when `baseURL` is on another origin than the one it was saved for. */
  dropIfMoved(providerId: string, baseURL: string): Promise<boolean> {
    const held = this.held.get(providerId)
    if (!held || held.entry.origin === originOf(baseURL)) return Promise.resolve(false)
    return this.delete(providerId)
  }

  /** Reads the file or document again: another instance (or person) may have changed it. */
  reload(): Promise<void> {
    const { backing } = this
    if (backing.kind === 'memory') return Promise.resolve()
    if (backing.kind === 'file') {
      this.adopt(readKeyFile(backing.path, this.log))
      return Promise.resolve()
    }
    return this.queue.run(() => this.reloadShared(backing.doc))
  }

  /** Every readable key with its provider and origin: what `juxta migrate` carries to another store. */
  storedKeys(): Array<{ providerId: string; origin: string; key: string }> {
    return [...this.held].flatMap(([providerId, h]) =>
      h.key === undefined ? [] : [{ providerId, origin: h.entry.origin, key: h.key }],
    )
  }

  /** Every key held in memory, for redaction. */
  secrets(): string[] {
    return [...this.held.values()].flatMap((h) => (h.key === undefined ? [] : [h.key]))
  }

  /**
   * Takes a file's contents as the current state: a new key-derivation salt gets a new cipher; keys that cannot
   * be opened are counted and logged. Plain keys are sealed in memory when there is a secret; returns how many.
   */
  private adopt(file: KeyFile): number {
    if (file.kdf && (!this.kdf || file.kdf.salt !== this.kdf.salt || this.cipher === undefined)) {
      this.kdf = file.kdf
      this.cipher = undefined
    }
    if (this.secret && !this.cipher) {
      this.kdf ??= newKdfParams()
      this.cipher = KeyCipher.fromSecret(this.secret, this.kdf)
    }
    const held = new Map<string, Held>()
    let unreadable = 0
    let plain = 0
    for (const [id, entry] of Object.entries(file.keys)) {
      let key: string | undefined
      let kept: Entry = entry
      if ('plain' in entry) {
        key = entry.plain
        if (this.cipher) {
          kept = this.seal(id, entry.origin, key)
          plain++
        }
      } else if (this.cipher) {
        try {
          key = this.cipher.open(entry.sealed, keyBinding(id, entry.origin))
        } catch {
          key = undefined
        }
      }
      if (key === undefined) unreadable++
      held.set(id, { entry: kept, key })
    }
    this.held = held
    if (unreadable > 0) {
      this.log(
        `keys: ${unreadable} stored key(s) cannot be decrypted ` +
          `(${this.secret ? 'JUXTA_SECRET differs from the one they were saved with' : 'JUXTA_SECRET is not set'}); ` +
          'enter them again or restore the secret',
      )
    }
    return plain
  }

  private seal(providerId: string, origin: string, key: string): Entry {
    return { origin, sealed: this.cipher!.seal(key, keyBinding(providerId, origin)) }
  }

  /**
   * Applies one change and writes it. A file: when the write fails, memory is put back as it was. A shared
   * document: the change is applied to a copy, written over the version read, and only then kept; when another
   * instance wrote first, its document is read and the change applied again.
   */
  private change(providerId: string, next: () => Held | undefined): Promise<void> {
    const { backing } = this
    if (backing.kind !== 'database') {
      changeThenSave(this.held, providerId, next(), () => this.save())
      return Promise.resolve()
    }
    return this.queue.run(async () => {
      for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
        const draft = new Map(this.held)
        const value = next()
        if (value) draft.set(providerId, value)
        else draft.delete(providerId)
        if (await backing.doc.write(this.serialize(draft), this.version)) {
          this.held = draft
          this.version++
          return
        }
        await this.reloadShared(backing.doc)
      }
      throw new KeyStoreError('the stored keys kept changing on another instance; try again')
    })
  }

  private async reloadShared(doc: SharedDocument): Promise<void> {
    const stored = await doc.read()
    if (!stored || stored.version === this.version) return
    this.adopt(parseKeyFile(stored.text, doc.description))
    this.version = stored.version
  }

  private serialize(held: ReadonlyMap<string, Held>): string {
    const file: KeyFile = {
      version: 1,
      ...(this.kdf ? { kdf: this.kdf } : {}),
      keys: Object.fromEntries([...held].map(([id, h]) => [id, h.entry])),
    }
    return `${JSON.stringify(file, null, 2)}\n`
  }

  private save(): void {
    if (this.backing.kind === 'file') writePrivateFile(this.backing.path, this.serialize(this.held))
  }
}

function readKeyFile(path: string, log: (line: string) => void): KeyFile {
  let text: string | undefined
  try {
    text = readPrivateFile(path, log)
  } catch (err) {
    throw new KeyStoreError(`cannot read the key file ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  return text === undefined ? EMPTY : parseKeyFile(text, `the key file ${path}`)
}

function parseKeyFile(text: string, where: string): KeyFile {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw new KeyStoreError(`${where} is not valid JSON; fix it or move it away (Juxta will not overwrite it)`)
  }
  const parsed = KeyFile.safeParse(raw)
  if (!parsed.success)
    throw new KeyStoreError(`${where} has an unknown format; fix it or move it away (Juxta will not overwrite it)`)
  return parsed.data
}

/** At most the last four characters, and none for keys so short that four would give much away. */
export function maskKey(key: string): string {
  return key.length >= 16 ? `••••${key.slice(-4)}` : '••••'
}
