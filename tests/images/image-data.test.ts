import { describe, expect, it } from 'vitest'
import { MAX_IMAGE_BYTES, imageAlt, parseImageDataUrl, sha256Hex, sniffImageType } from '../../src/images/image-data.ts'
import { GIF, PNG, dataUrl } from './fixtures.ts'

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46])
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x24, 0, 0, 0]), Buffer.from('WEBPVP8 ')])

describe('image checks', () => {
  it('knows the four types by their first bytes, and nothing else', () => {
    expect([PNG, JPEG, WEBP, GIF].map(sniffImageType)).toEqual(['image/png', 'image/jpeg', 'image/webp', 'image/gif'])
    expect(sniffImageType(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>'))).toBeNull()
    expect(sniffImageType(Buffer.from('<html><script>alert(1)</script></html>'))).toBeNull()
    expect(sniffImageType(Buffer.from('RIFF\0\0\0\0WAVEfmt '))).toBeNull()
  })

  it('accepts a data URL whose declared type is its content, with its sha256', () => {
    const r = parseImageDataUrl(dataUrl('image/png', PNG))
    expect(r).toEqual({ ok: true, image: { mime: 'image/png', data: PNG, sha256: sha256Hex(PNG) } })
  })

  it('refuses a mismatched type, a non-image, a non-base64 URL and an oversized image', () => {
    expect(parseImageDataUrl(dataUrl('image/jpeg', PNG))).toEqual({
      ok: false,
      message: 'is declared as image/jpeg but its content is image/png',
    })
    expect(parseImageDataUrl(dataUrl('image/png', Buffer.from('<html></html>')))).toMatchObject({
      ok: false,
      message: expect.stringContaining('is not a PNG, JPEG, WebP or GIF'),
    })
    expect(parseImageDataUrl('https://example.com/cat.png')).toMatchObject({ ok: false })
    expect(parseImageDataUrl('data:image/png,rawtext')).toMatchObject({ ok: false })
    const big = Buffer.concat([PNG, Buffer.alloc(MAX_IMAGE_BYTES)])
    expect(parseImageDataUrl(dataUrl('image/png', big))).toMatchObject({
      ok: false,
      message: expect.stringMatching(/too large|at most/),
    })
  })

  it('describes an image for its alt text', () => {
    expect(imageAlt(1, { mime: 'image/png', bytes: 34_123 })).toBe('Attached image 1 (PNG, 34 KB)')
    expect(imageAlt(2, { mime: 'image/jpeg', bytes: 2_500_000 })).toBe('Attached image 2 (JPEG, 2.5 MB)')
  })
})
