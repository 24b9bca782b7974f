/** A real 1×1 PNG; appending bytes after its end chunk makes other valid, distinct images. */
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
)
/** A 1×1 GIF89a. */
export const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')

export const pngVariant = (n: number): Buffer => Buffer.concat([PNG, Buffer.from(`variant ${n}`)])
export const dataUrl = (mime: string, data: Buffer): string => `data:${mime};base64,${data.toString('base64')}`
