import { z } from 'zod'
import type { StoredKeyLookup } from '../providers/catalog.ts'
import { originOf } from '../security/base-url.ts'
import { KeyCipher, keyBinding, newKdfParams, type KdfParams } from './key-cipher.ts'
import { changeThenSave, readPrivateFile, writePrivateFile } from './private-file.ts'

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

/**
 * API keys entered in the settings page, in one 0600 JSON file (never in the history database). Each key is
 * bound to the origin of the base URL it was saved for and is handed out only for that origin.
 */
export class KeyStore implements StoredKeyLookup {
  private readonly held = new Map<string, Held>()
  private kdf: KdfParams | undefined
  private readonly cipher: KeyCipher | undefined

  private constructor(
    /** Null for a store that lives in memory only (tests, or no data directory). */
    readonly path: string | null,
    file: KeyFile,
    secret: string | undefined,
    private readonly log: (line: string) => void,
  ) {
    this.kdf = file.kdf
    if (secret) {
      this.kdf ??= newKdfParams()
      this.cipher = KeyCipher.fromSecret(secret, this.kdf)
    }
    let unreadable = 0
    let migrate = false
    for (const [id, entry] of Object.entries(file.keys)) {
      let key: string | undefined
      if ('plain' in entry) {
        key = entry.plain
        migrate ||= this.cipher !== undefined
      } else if (this.cipher) {
        try {
          key = this.cipher.open(entry.sealed, keyBinding(id, entry.origin))
        } catch {
          key = undefined
        }
      }
      if (key === undefined) unreadable++
      this.held.set(id, { entry, key })
    }
    if (unreadable > 0) {
      log(
        `keys: ${unreadable} stored key(s) cannot be decrypted ` +
          `(${secret ? 'JUXTA_SECRET differs from the one they were saved with' : 'JUXTA_SECRET is not set'}); ` +
          'enter them again or restore the secret',
      )
    }
    if (migrate) {
      for (const [id, held] of this.held)
        if ('plain' in held.entry && held.key !== undefined) held.entry = this.seal(id, held.entry.origin, held.key)
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
    let text: string | undefined
    try {
      text = readPrivateFile(path, log)
    } catch (err) {
      throw new KeyStoreError(`cannot read the key file ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
    }
    let file: KeyFile = { version: 1, keys: {} }
    if (text !== undefined) {
      let raw: unknown
      try {
        raw = JSON.parse(text)
      } catch {
        throw new KeyStoreError(
          `the key file ${path} is not valid JSON; fix it or move it away (Juxta will not overwrite it)`,
        )
      }
      const parsed = KeyFile.safeParse(raw)
      if (!parsed.success)
        throw new KeyStoreError(
          `the key file ${path} has an unknown format; fix it or move it away (Juxta will not overwrite it)`,
        )
      file = parsed.data
    }
    return new KeyStore(path, file, options.secret, log)
  }

  static inMemory(options: KeyStoreOptions = {}): KeyStore {
    return new KeyStore(null, { version: 1, keys: {} }, options.secret, options.log ?? (() => {}))
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

  /** Saves (or replaces) the key for a provider, bound to the origin of `baseURL`. */
  set(providerId: string, baseURL: string, key: string): void {
    const origin = originOf(baseURL)
    if (!origin) throw new KeyStoreError('a key can only be stored for an http(s) base URL')
    const entry: Entry = this.cipher ? this.seal(providerId, origin, key) : { origin, plain: key }
    this.change(providerId, { entry, key })
  }

  delete(providerId: string): boolean {
    if (!this.held.has(providerId)) return false
    this.change(providerId, undefined)
    return true
  }

  /** Drops the provider's key when `baseURL` is on another origin than the one it was saved for. */
  dropIfMoved(providerId: string, baseURL: string): boolean {
    const held = this.held.get(providerId)
    if (!held || held.entry.origin === originOf(baseURL)) return false
    return this.delete(providerId)
  }

  /** Every key held in memory, for redaction. */
  secrets(): string[] {
    return [...this.held.values()].flatMap((h) => (h.key === undefined ? [] : [h.key]))
  }

  private seal(providerId: string, origin: string, key: string): Entry {
    return { origin, sealed: this.cipher!.seal(key, keyBinding(providerId, origin)) }
  }

  /** Applies one change and writes the file; when the write fails, memory is put back as it was. */
  private change(providerId: string, next: Held | undefined): void {
    changeThenSave(this.held, providerId, next, () => this.save())
  }

  private save(): void {
    if (this.path === null) return
    const file: KeyFile = {
      version: 1,
      ...(this.kdf ? { kdf: this.kdf } : {}),
      keys: Object.fromEntries([...this.held].map(([id, h]) => [id, h.entry])),
    }
    writePrivateFile(this.path, `${JSON.stringify(file, null, 2)}\n`)
  }
}

/** At most the last four characters, and none for keys so short that four would give much away. */
export function maskKey(key: string): string {
  return key.length >= 16 ? `••••${key.slice(-4)}` : '••••'
}
