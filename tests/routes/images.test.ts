import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, postCompare, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { openSqliteRunStore, type SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { sha256Hex } from '../../src/images/image-data.ts'
import { GIF, PNG, dataUrl, pngVariant } from '../images/fixtures.ts'

let upstream: FakeUpstream
let juxta: RunningJuxta
let store: SqliteRunStore
let dir: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'juxta-images-'))
  store = openSqliteRunStore(join(dir, 'juxta.db'))
  upstream = await startFakeUpstream()
  for (const model of ['seer', 'blind', 'maybe']) upstream.script(model, { kind: 'text', deltas: ['I', ' see'] })
  upstream.script('mute', { kind: 'text', deltas: ['I', ' see'], usage: 'none' })
  juxta = await startJuxta({
    config: fakeConfig({
      v: {
        base_url: upstream.url,
        models: [
          { id: 'seer', vision: true, price: { input: 1, output: 2 } },
          { id: 'blind', vision: false },
          { id: 'maybe', price: { input: 1, output: 2 } },
          { id: 'mute', vision: true, price: { input: 1, output: 2 } },
        ],
      },
    }),
    store,
  })
})

afterAll(async () => {
  await juxta?.close()
  await upstream?.close()
  await store?.close()
  rmSync(dir, { recursive: true, force: true })
})

const imageCount = () => store.db.prepare('SELECT count(*) FROM images').pluck().get() as number

/** POSTs a compare with images and checks it is refused with 422 naming `path`, with no upstream call. */
async function refused(images: string[], path: string, targets = ['v/seer']) {
  const before = upstream.requests.length
  const res = await postCompare(juxta.url, { prompt: 'What is this?', targets, images })
  expect(res.status).toBe(422)
  expect(res.body.error.issues.map((i: { path: string }) => i.path)).toContain(path)
  expect(upstream.requests.length).toBe(before)
  return res.body.error.issues as Array<{ path: string; message: string }>
}

describe('images in POST /api/compare', () => {
  it('sends the exact content parts to every target, and the run keeps its images', async () => {
    const png = dataUrl('image/png', PNG)
    const gif = dataUrl('image/gif', GIF)
    const before = upstream.requests.length
    const res = await postCompare(juxta.url, {
      prompt: 'Describe both',
      targets: ['v/seer', 'v/maybe'],
      images: [png, gif],
    })
    expect(res.status).toBe(200)
    const sent = upstream.requests.slice(before)
    expect(sent.map((r) => r.model).sort()).toEqual(['maybe', 'seer'])
    for (const r of sent) {
      expect(r.body.messages).toEqual([
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Describe both' },
            { type: 'image_url', image_url: { url: png } },
            { type: 'image_url', image_url: { url: gif } },
          ],
        },
      ])
    }
    // Usage as the upstream reported it: image tokens are input tokens, nothing is added by Juxta.
    expect(res.body.results[0]!.usage.source).toBe('reported')
    const run = await store.getRun(res.body.run_id)
    expect(run!.images).toEqual([
      { sha256: sha256Hex(PNG), mime: 'image/png', bytes: PNG.length },
      { sha256: sha256Hex(GIF), mime: 'image/gif', bytes: GIF.length },
    ])
  })

  it('refuses a PNG-named HTML file, an SVG, a mismatched type, an oversized image and 9 images', async () => {
    const html = Buffer.from('<html><script>alert(1)</script></html>')
    expect((await refused([dataUrl('image/png', html)], 'images[0]'))[0]!.message).toMatch(/not a PNG, JPEG/)
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    await refused([dataUrl('image/png', PNG), dataUrl('image/svg+xml', svg)], 'images[1]')
    const mismatch = await refused([dataUrl('image/jpeg', PNG)], 'images[0]')
    expect(mismatch[0]!.message).toContain('declared as image/jpeg but its content is image/png')
    const big = Buffer.concat([PNG, Buffer.alloc(5 * 1024 * 1024)])
    expect((await refused([dataUrl('image/png', big)], 'images[0]'))[0]!.message).toMatch(/at most 5\.0 MiB/)
    const nine = Array.from({ length: 9 }, (_, i) => dataUrl('image/png', pngVariant(i)))
    expect((await refused(nine, 'images'))[0]!.message).toBe('at most 8 images per prompt')
    await refused(['https://example.com/cat.png'], 'images[0]')
  })

  it('refuses images whose copies to every target would be too much to send (bytes × targets)', async () => {
    // 5 images of 4.5 MiB are 22.5 MiB; three targets would each get all of them: 67.5 MiB, over the 64 MiB.
    const images = Array.from({ length: 5 }, (_, i) =>
      dataUrl('image/png', Buffer.concat([pngVariant(i), Buffer.alloc(4.5 * 1024 * 1024)])),
    )
    const issues = await refused(images, 'images', ['v/seer', 'v/maybe', 'v/mute'])
    expect(issues.find((i) => i.path === 'images')!.message).toMatch(
      /^22\.5 MiB of images to 3 targets is 67\.5 MiB to send; at most 64\.0 MiB per run/,
    )
    // The same images to two targets (45 MiB in all) are fine.
    const ok = await postCompare(juxta.url, { prompt: 'Both', targets: ['v/seer', 'v/maybe'], images })
    expect(ok.status).toBe(200)
  })

  it('refuses a vision: false target by name, and allows an undeclared one', async () => {
    const issues = await refused([dataUrl('image/png', PNG)], 'targets[1]', ['v/seer', 'v/blind'])
    expect(issues[0]!.message).toBe('"v/blind" cannot read images (vision: false in config); remove it or the images')
    const ok = await postCompare(juxta.url, { prompt: 'text only', targets: ['v/blind'] })
    expect(ok.status).toBe(200)
  })

  it('without reported usage, the input of a prompt with images is unknown, and so is its cost', async () => {
    const res = await postCompare(juxta.url, {
      prompt: 'Look',
      targets: ['v/mute'],
      images: [dataUrl('image/png', PNG)],
    })
    const r = res.body.results[0]!
    expect(r.usage).toMatchObject({ source: 'estimated', input_tokens: null })
    expect(r.usage.output_tokens).toBeGreaterThan(0)
    expect(r.cost).toMatchObject({ source: 'unknown', total_usd: null, reason: 'no-usage' })
    // The same prompt without images keeps its tokenizer estimate (flagged as such).
    const plain = await postCompare(juxta.url, { prompt: 'Look', targets: ['v/mute'] })
    expect(plain.body.results[0]!.usage.input_tokens).toBeGreaterThan(0)
    expect(plain.body.results[0]!.cost.reason).toBe('estimated-usage')
  })

  it('the estimate says images are not priced, with the text-only range', async () => {
    const res = await fetch(`${juxta.url}/api/estimate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'Describe', targets: ['v/seer'], images: [dataUrl('image/png', PNG)] }),
    })
    const body = await res.json()
    expect(res.status).toBe(200)
    expect(body.images_note).toMatch(/^1 image not priced/)
    expect(body.total_low_usd).toBeGreaterThan(0)
    const plain = await fetch(`${juxta.url}/api/estimate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'Describe', targets: ['v/seer'] }),
    })
    expect((await plain.json()).images_note).toBeUndefined()
  })
})

describe('stored images', () => {
  it('stores the same image once for two runs, and serves it with its type and nosniff', async () => {
    const image = pngVariant(100)
    const before = imageCount()
    for (const prompt of ['one', 'two']) {
      const res = await postCompare(juxta.url, { prompt, targets: ['v/seer'], images: [dataUrl('image/png', image)] })
      expect(res.status).toBe(200)
    }
    expect(imageCount()).toBe(before + 1)
    const res = await fetch(`${juxta.url}/images/${sha256Hex(image)}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('image/png')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox")
    expect(Buffer.from(await res.arrayBuffer()).equals(image)).toBe(true)
    // Asked again each time (never shown from the cache after a logout), answered 304 without the bytes.
    expect(res.headers.get('cache-control')).toBe('private, no-cache')
    const again = await fetch(`${juxta.url}/images/${sha256Hex(image)}`, {
      headers: { 'if-none-match': res.headers.get('etag')! },
    })
    expect(again.status).toBe(304)
    expect((await again.arrayBuffer()).byteLength).toBe(0)
    expect((await fetch(`${juxta.url}/images/${'0'.repeat(64)}`)).status).toBe(404)
    expect((await fetch(`${juxta.url}/images/not-a-hash`)).status).toBe(404)
  })

  it('keeps the image bytes identical through export, delete and import', async () => {
    const image = pngVariant(200)
    const made = await postCompare(juxta.url, {
      prompt: 'round trip',
      targets: ['v/seer'],
      images: [dataUrl('image/png', image), dataUrl('image/png', image)],
    })
    const id = made.body.run_id as string
    const exported = await (await fetch(`${juxta.url}/api/runs/${id}/export.json`)).json()
    // Each image once in the file, however often runs reference it.
    expect(Object.keys(exported.images)).toEqual([sha256Hex(image)])
    expect(exported.runs[0].images).toHaveLength(2)
    const del = await fetch(`${juxta.url}/api/runs/${id}`, { method: 'DELETE', headers: { origin: juxta.url } })
    expect(del.status).toBe(200)
    // Nothing references it any more: it is gone with its run.
    expect((await fetch(`${juxta.url}/images/${sha256Hex(image)}`)).status).toBe(404)
    const imported = await fetch(`${juxta.url}/api/runs/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: juxta.url },
      body: JSON.stringify(exported),
    })
    expect(await imported.json()).toEqual({ imported: 1, skipped: 0, skipped_runs: [] })
    const back = await fetch(`${juxta.url}/images/${sha256Hex(image)}`)
    expect(Buffer.from(await back.arrayBuffer()).equals(image)).toBe(true)
    expect((await store.getRun(id))!.images).toEqual(exported.runs[0].images)
  })

  it('imports no run whose image is not an image, was changed, or is missing', async () => {
    const image = pngVariant(300)
    const made = await postCompare(juxta.url, {
      prompt: 'tamper',
      targets: ['v/seer'],
      images: [dataUrl('image/png', image)],
    })
    const id = made.body.run_id as string
    const exported = await (await fetch(`${juxta.url}/api/runs/${id}/export.json`)).json()
    await fetch(`${juxta.url}/api/runs/${id}`, { method: 'DELETE', headers: { origin: juxta.url } })
    const post = (file: unknown) =>
      fetch(`${juxta.url}/api/runs/import`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: juxta.url },
        body: JSON.stringify(file),
      })
    const hash = sha256Hex(image)
    const html = dataUrl('image/png', Buffer.from('<html></html>'))
    const cases = [
      { images: { [hash]: html }, reason: /images\[0\]","message":"image .* is not a PNG/ },
      { images: { [hash]: dataUrl('image/png', pngVariant(301)) }, reason: /does not match its sha256/ },
      { images: {}, reason: /is not in the file's images/ },
    ]
    for (const c of cases) {
      const res = await post({ ...exported, images: c.images })
      expect(res.status).toBe(422)
      expect(JSON.stringify(await res.json())).toMatch(c.reason)
    }
    expect(await store.getRun(id)).toBeNull()
  })
})

describe('images from the page form (multipart)', () => {
  it('posts files as images, typed by content; a non-image is refused by name before any upstream call', async () => {
    const form = new FormData()
    form.append('prompt', 'From the form')
    form.append('targets', 'v/seer')
    form.append('images', new Blob([PNG], { type: 'image/png' }), 'cat.png')
    // Over the 1 MiB limit of other forms: a run's body may carry 8 images of 5 MiB.
    const large = Buffer.concat([PNG, Buffer.alloc(3 * 1024 * 1024)])
    form.append('images', new Blob([large], { type: 'application/octet-stream' }), 'photo')
    const before = upstream.requests.length
    const res = await fetch(`${juxta.url}/runs`, { method: 'POST', body: form, headers: { origin: juxta.url } })
    await res.text()
    expect(res.status).toBe(200)
    const sent = upstream.requests.slice(before)[0]!.body.messages[0]!.content
    expect(sent).toEqual([
      { type: 'text', text: 'From the form' },
      { type: 'image_url', image_url: { url: dataUrl('image/png', PNG) } },
      { type: 'image_url', image_url: { url: dataUrl('image/png', large) } },
    ])

    const bad = new FormData()
    bad.append('prompt', 'Bad')
    bad.append('targets', 'v/seer')
    bad.append('images', new Blob([PNG], { type: 'image/png' }), 'ok.png')
    bad.append('images', new Blob(['<html></html>'], { type: 'image/png' }), 'evil.png')
    const after = upstream.requests.length
    const refusedRes = await fetch(`${juxta.url}/runs`, { method: 'POST', body: bad, headers: { origin: juxta.url } })
    expect(refusedRes.status).toBe(422)
    expect(await refusedRes.text()).toContain('images[1]: is not a PNG, JPEG, WebP or GIF image')
    expect(upstream.requests.length).toBe(after)

    // Over 5 MiB: refused by its size before it is read, with the same message as the API's.
    const huge = new FormData()
    huge.append('prompt', 'Huge')
    huge.append('targets', 'v/seer')
    huge.append('images', new Blob([Buffer.concat([PNG, Buffer.alloc(5 * 1024 * 1024)])]), 'huge.png')
    const hugeRes = await fetch(`${juxta.url}/runs`, { method: 'POST', body: huge, headers: { origin: juxta.url } })
    expect(hugeRes.status).toBe(422)
    expect(await hugeRes.text()).toContain('images[0]: is 5.0 MiB; at most 5.0 MiB per image')
    expect(upstream.requests.length).toBe(after)
  })

  it('the estimate says at once, with images attached, which ticked target cannot read them', async () => {
    const estimate = async (count: string) => {
      const form = new URLSearchParams([
        ['prompt', 'Look'],
        ['targets', 'v/seer'],
        ['targets', 'v/blind'],
        ['image_count', count],
      ])
      const res = await fetch(`${juxta.url}/estimate`, { method: 'POST', body: form, headers: { origin: juxta.url } })
      return res.text()
    }
    expect(await estimate('1')).toContain('&quot;v/blind&quot; cannot read images (vision: false in config)')
    expect(await estimate('0')).not.toContain('cannot read images')
  })

  it('notes in the column of a model whose image support is not declared', async () => {
    const form = new FormData()
    form.append('prompt', 'Which one?')
    form.append('targets', 'v/seer')
    form.append('targets', 'v/maybe')
    form.append('images', new Blob([PNG]), 'a.png')
    const page = await (
      await fetch(`${juxta.url}/runs`, { method: 'POST', body: form, headers: { origin: juxta.url } })
    ).text()
    const notes = page.match(/<p class="col-note muted">Image support not declared/g) ?? []
    expect(notes).toHaveLength(1)
    const column = page.slice(page.indexOf('data-target="v/maybe"'))
    expect(column.slice(0, column.indexOf('</header>') + 200)).toContain('Image support not declared')
  })

  it('a follow-up from history sends the earlier turn with its images', async () => {
    const first = await postCompare(juxta.url, {
      prompt: 'Look',
      targets: ['v/seer'],
      images: [dataUrl('image/png', pngVariant(400))],
    })
    const before = upstream.requests.length
    const form = new URLSearchParams([
      ['prompt', 'And the colour?'],
      ['targets', 'v/seer'],
      ['parent', first.body.run_id],
    ])
    const res = await fetch(`${juxta.url}/runs`, { method: 'POST', body: form, headers: { origin: juxta.url } })
    await res.text()
    const sent = upstream.requests.slice(before)[0]!.body.messages
    expect(sent).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Look' },
          { type: 'image_url', image_url: { url: dataUrl('image/png', pngVariant(400)) } },
        ],
      },
      { role: 'assistant', content: 'I see' },
      { role: 'user', content: 'And the colour?' },
    ])
  })
})
