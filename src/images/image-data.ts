import { createHash } from 'node:crypto'

/** The image types a prompt may carry: what every vision API accepts. SVG is not one (it is a document). */
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'] as const
export type ImageType = (typeof IMAGE_TYPES)[number]

export const MAX_IMAGES = 8
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024
/** The longest data URL that can hold MAX_IMAGE_BYTES: checked before decoding anything. */
export const MAX_DATA_URL_CHARS = 'data:image/jpeg;base64,'.length + Math.ceil(MAX_IMAGE_BYTES / 3) * 4

/** A checked image: its bytes, its type as its content says, and its sha256 (hex), the key it is stored under. */
export interface ImageBlob {
  mime: ImageType
  data: Buffer
  sha256: string
}

/** What a run says about one of its images (stored runs, exports, the API). */
export interface ImageRef {
  sha256: string
  mime: ImageType
  bytes: number
}

/** The type the first bytes say, whatever the name or the declared type; null for anything else. */
export function sniffImageType(data: Uint8Array): ImageType | null {
  const starts = (...bytes: number[]) => bytes.every((b, i) => data[i] === b)
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png'
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg'
  if (starts(0x47, 0x49, 0x46, 0x38) && (data[4] === 0x37 || data[4] === 0x39) && data[5] === 0x61) return 'image/gif'
  // RIFF....WEBP
  if (starts(0x52, 0x49, 0x46, 0x46) && data[8] === 0x57 && data[9] === 0x45 && data[10] === 0x42 && data[11] === 0x50)
    return 'image/webp'
  return null
}

export const sha256Hex = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')

export type ImageCheck = { ok: true; image: ImageBlob } | { ok: false; message: string }

const describeSize = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`

/**
 * The most image data one run may send in all: every target gets its own copy of every image (as base64, a third
 * more), so 8 images of 5 MiB to 16 targets would hold 853 MB of request bodies at once.
 */
export const MAX_RUN_IMAGE_BYTES = 64 * 1024 * 1024

/** Why an image of this many bytes is refused for its size, or null when its size is fine. */
export function imageSizeProblem(bytes: number): string | null {
  return bytes > MAX_IMAGE_BYTES
    ? `is ${describeSize(bytes)}; at most ${describeSize(MAX_IMAGE_BYTES)} per image`
    : null
}

/** Why images of these sizes are too much to send to this many targets, or null. */
export function fanOutProblem(imageBytes: number[], targets: number): string | null {
  const total = imageBytes.reduce((sum, n) => sum + n, 0)
  if (total * targets <= MAX_RUN_IMAGE_BYTES) return null
  return (
    `${describeSize(total)} of images to ${targets} targets is ${describeSize(total * targets)} to send; at most ` +
    `${describeSize(MAX_RUN_IMAGE_BYTES)} per run: pick fewer targets or smaller images`
  )
}

/** Bytes that must be one of IMAGE_TYPES (by content) and at most MAX_IMAGE_BYTES. */
export function checkImageBytes(data: Buffer, declared?: string): ImageCheck {
  if (data.length === 0) return { ok: false, message: 'is empty' }
  const tooLarge = imageSizeProblem(data.length)
  if (tooLarge) return { ok: false, message: tooLarge }
  const mime = sniffImageType(data)
  if (!mime) return { ok: false, message: 'is not a PNG, JPEG, WebP or GIF image (checked by its content)' }
  if (declared !== undefined && declared.toLowerCase() !== mime) {
    return { ok: false, message: `is declared as ${declared.slice(0, 50)} but its content is ${mime}` }
  }
  return { ok: true, image: { mime, data, sha256: sha256Hex(data) } }
}

const DATA_URL = /^data:([a-z0-9.+-]+\/[a-z0-9.+-]+);base64,([A-Za-z0-9+/]*={0,2})$/i

/** A `data:<mime>;base64,…` URL holding an allowed image whose content matches its declared type. */
export function parseImageDataUrl(url: string): ImageCheck {
  if (url.length > MAX_DATA_URL_CHARS) {
    return { ok: false, message: `is too large; at most ${describeSize(MAX_IMAGE_BYTES)} per image` }
  }
  const m = DATA_URL.exec(url)
  if (!m || m[2]!.length % 4 !== 0) return { ok: false, message: 'must be a data:<type>;base64,… URL' }
  return checkImageBytes(Buffer.from(m[2]!, 'base64'), m[1])
}

export const toDataUrl = (image: { mime: string; data: Buffer }): string =>
  `data:${image.mime};base64,${image.data.toString('base64')}`

/** "PNG", "JPEG"… for alt texts. */
export const typeName = (mime: string): string => mime.replace('image/', '').toUpperCase()

/** Alt text of the n-th attached image (1-based): "Attached image 1 (PNG, 34 KB)". */
export function imageAlt(n: number, ref: { mime: string; bytes: number }): string {
  const kb = Math.max(1, Math.round(ref.bytes / 1000))
  const size = kb >= 1000 ? `${(ref.bytes / 1_000_000).toFixed(1)} MB` : `${kb} KB`
  return `Attached image ${n} (${typeName(ref.mime)}, ${size})`
}
