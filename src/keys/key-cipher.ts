import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto'

/** One encrypted value as stored: base64 of a fresh 12-byte nonce, the ciphertext and the 16-byte GCM tag. */
export interface SealedValue {
  nonce: string
  data: string
  tag: string
}

/** How the file key is derived from JUXTA_SECRET; kept in the file so the parameters can change later. */
export interface KdfParams {
  kdf: 'scrypt'
  salt: string
  N: number
  r: number
  p: number
}

const KEY_BYTES = 32
const NONCE_BYTES = 12

export function newKdfParams(): KdfParams {
  return { kdf: 'scrypt', salt: randomBytes(16).toString('base64'), N: 2 ** 15, r: 8, p: 1 }
}

/**
 * AES-256-GCM from node:crypto, nothing home-made. The associated data binds each value to the provider and
 * base-URL origin it was saved for: a ciphertext copied onto another provider or origin fails to open.
 */
export class KeyCipher {
  private constructor(private readonly key: Buffer) {}

  static fromSecret(secret: string, params: KdfParams): KeyCipher {
    const key = scryptSync(secret, Buffer.from(params.salt, 'base64'), KEY_BYTES, {
      N: params.N,
      r: params.r,
      p: params.p,
      maxmem: 256 * params.N * params.r,
    })
    return new KeyCipher(key)
  }

  seal(plaintext: string, associatedData: string): SealedValue {
    const nonce = randomBytes(NONCE_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce)
    cipher.setAAD(Buffer.from(associatedData, 'utf8'))
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    return {
      nonce: nonce.toString('base64'),
      data: data.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
    }
  }

  /** Throws when the secret, the associated data or any byte of the value differs from when it was sealed. */
  open(sealed: SealedValue, associatedData: string): string {
    const nonce = Buffer.from(sealed.nonce, 'base64')
    if (nonce.length !== NONCE_BYTES) throw new Error('bad nonce')
    // A fixed tag length: a truncated tag would otherwise be accepted with less protection.
    const decipher = createDecipheriv('aes-256-gcm', this.key, nonce, { authTagLength: 16 })
    decipher.setAAD(Buffer.from(associatedData, 'utf8'))
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'))
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8')
  }
}

/** What a stored key is bound to. */
export function keyBinding(providerId: string, origin: string): string {
  return `juxta-api-key/v1\0${providerId}\0${origin}`
}
