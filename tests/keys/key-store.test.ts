import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KeyStore, KeyStoreError, maskKey } from '../../src/keys/key-store.ts'

const KEY = 'canary-key-0123456789abcdefQRST'
const SECRET = 'a-juxta-secret-of-some-length'
const BASE = 'https://api.example.com/v1'

let dir: string
let path: string
let umask: number

beforeAll(() => {
  // The usual umask, so 0600 comes from Juxta and not from a strict test environment.
  umask = process.umask(0o022)
})
afterAll(() => {
  process.umask(umask)
})
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'juxta-keys-'))
  path = join(dir, 'keys.json')
  return () => rmSync(dir, { recursive: true, force: true })
})

const mode = (p: string) => statSync(p).mode & 0o777
const fileText = () => readFileSync(path, 'utf8')

describe('the key file', () => {
  it('is created with mode 0600 and replaced atomically (no temp files left)', async () => {
    const store = KeyStore.open(path)
    await store.set('openai', BASE, KEY)
    expect(mode(path)).toBe(0o600)
    await store.set('groq', 'https://api.groq.com/openai/v1', `${KEY}-2`)
    expect(mode(path)).toBe(0o600)
    expect(readdirSync(dir)).toEqual(['keys.json'])
  })

  it('without JUXTA_SECRET holds the key in plain text (and says so in the page, see settings tests)', async () => {
    await KeyStore.open(path).set('openai', BASE, KEY)
    expect(fileText()).toContain(KEY)
    expect(KeyStore.open(path).get('openai', BASE)).toBe(KEY)
  })

  it('with JUXTA_SECRET holds no trace of the key, and reopens with the same secret', async () => {
    const store = KeyStore.open(path, { secret: SECRET })
    expect(store.encrypted).toBe(true)
    await store.set('openai', BASE, KEY)
    const text = fileText()
    expect(text).not.toContain(KEY)
    expect(text).not.toContain(KEY.slice(-8))
    expect(text).not.toContain(Buffer.from(KEY).toString('base64').slice(0, 16))
    expect(text).not.toContain(SECRET)
    expect(KeyStore.open(path, { secret: SECRET }).get('openai', BASE)).toBe(KEY)
  })

  it('uses a fresh nonce for every value', async () => {
    const store = KeyStore.open(path, { secret: SECRET })
    await store.set('a', BASE, KEY)
    const first = JSON.parse(fileText()).keys.a.sealed
    await store.set('a', BASE, KEY)
    const second = JSON.parse(fileText()).keys.a.sealed
    expect(second.nonce).not.toBe(first.nonce)
    expect(second.data).not.toBe(first.data)
    expect(Buffer.from(first.nonce, 'base64')).toHaveLength(12)
  })

  it('cannot be opened with another secret or none: keys become unreadable, the file is kept', async () => {
    await KeyStore.open(path, { secret: SECRET }).set('openai', BASE, KEY)
    const before = fileText()
    const logs: string[] = []
    const wrong = KeyStore.open(path, { secret: 'another-secret-entirely', log: (l) => logs.push(l) })
    expect(wrong.get('openai', BASE)).toBeUndefined()
    expect(wrong.state('openai', BASE)).toEqual({ kind: 'unreadable' })
    expect(logs.join('\n')).toMatch(/cannot be decrypted/)
    expect(KeyStore.open(path).get('openai', BASE)).toBeUndefined()
    expect(fileText()).toBe(before)
  })

  it('binds each value to its provider and origin: a ciphertext moved to another one does not open', async () => {
    const store = KeyStore.open(path, { secret: SECRET })
    await store.set('a', BASE, KEY)
    await store.set('b', 'https://other.example.com/v1', 'other-key-value-0000')
    const file = JSON.parse(fileText())
    file.keys.b = { ...file.keys.a, origin: 'https://other.example.com' } // a's ciphertext under b
    file.keys.a.origin = 'https://evil.example' // a's ciphertext under another origin
    writeFileSync(path, JSON.stringify(file), { mode: 0o600 })
    const reopened = KeyStore.open(path, { secret: SECRET })
    expect(reopened.get('b', 'https://other.example.com/v1')).toBeUndefined()
    expect(reopened.get('a', 'https://evil.example/v1')).toBeUndefined()
    expect(reopened.secrets()).toEqual([])
  })

  it('encrypts plain-text keys once JUXTA_SECRET is set', async () => {
    await KeyStore.open(path).set('openai', BASE, KEY)
    expect(fileText()).toContain(KEY)
    const logs: string[] = []
    const store = KeyStore.open(path, { secret: SECRET, log: (l) => logs.push(l) })
    expect(fileText()).not.toContain(KEY)
    expect(store.get('openai', BASE)).toBe(KEY)
    expect(logs.join('\n')).toMatch(/now encrypted/)
    expect(logs.join('\n')).not.toContain(KEY)
  })

  it('narrows a widened file mode back to 0600 on open', async () => {
    await KeyStore.open(path).set('openai', BASE, KEY)
    chmodSync(path, 0o644)
    KeyStore.open(path)
    expect(mode(path)).toBe(0o600)
  })

  it('refuses a damaged file rather than overwrite it', async () => {
    writeFileSync(path, '{"version":1,"keys":', { mode: 0o600 })
    expect(() => KeyStore.open(path)).toThrow(KeyStoreError)
    expect(() => KeyStore.open(path)).toThrow(/not valid JSON/)
    writeFileSync(path, '{"version":7,"keys":{}}', { mode: 0o600 })
    expect(() => KeyStore.open(path)).toThrow(/unknown format/)
    expect(fileText()).toBe('{"version":7,"keys":{}}')
  })

  it('is not created until a key is stored', async () => {
    KeyStore.open(path, { secret: SECRET })
    expect(existsSync(path)).toBe(false)
  })
})

describe('origin binding', () => {
  it('hands a key out only for the origin it was saved for', async () => {
    const store = KeyStore.inMemory()
    await store.set('p', 'https://api.example.com/v1', KEY)
    expect(store.get('p', 'https://api.example.com/v2/other')).toBe(KEY)
    expect(store.get('p', 'HTTPS://API.EXAMPLE.COM:443/v1')).toBe(KEY)
    expect(store.get('p', 'http://api.example.com/v1')).toBeUndefined()
    expect(store.get('p', 'https://api.example.com:8443/v1')).toBeUndefined()
    expect(store.get('p', 'https://evil.example/v1')).toBeUndefined()
    expect(store.get('q', 'https://api.example.com/v1')).toBeUndefined()
    expect(store.state('p', 'https://evil.example/v1')).toEqual({
      kind: 'other-origin',
      origin: 'https://api.example.com',
    })
  })

  it('drops the key when the base URL moves to another origin, keeps it for a new path', async () => {
    const store = KeyStore.inMemory()
    await store.set('p', 'https://api.example.com/v1', KEY)
    expect(await store.dropIfMoved('p', 'https://api.example.com/v2')).toBe(false)
    expect(store.get('p', 'https://api.example.com/v2')).toBe(KEY)
    expect(await store.dropIfMoved('p', 'https://evil.example/v1')).toBe(true)
    expect(store.state('p', 'https://api.example.com/v1')).toEqual({ kind: 'none' })
  })

  it('refuses to store a key for a URL without an http(s) origin', async () => {
    expect(() => KeyStore.inMemory().set('p', 'file:///etc', KEY)).toThrow(KeyStoreError)
  })
})

describe('maskKey', () => {
  it('shows at most the last four characters, none for short keys', async () => {
    expect(maskKey('sk-abcdefghijklmnop1234')).toBe('••••1234')
    expect(maskKey('short-key')).toBe('••••')
    expect(maskKey('x')).toBe('••••')
  })
})
