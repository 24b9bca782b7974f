import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, postDeclaredOversize, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { formToBody } from '../../src/routes/compare-form.ts'
import { COMPARE_MAX_BYTES } from '../../src/app.ts'

let upstream: FakeUpstream
let juxta: RunningJuxta

beforeAll(async () => {
  upstream = await startFakeUpstream()
  juxta = await startJuxta({ config: fakeConfig({ p: { base_url: upstream.url, models: ['text:3'] } }) })
})

afterAll(async () => {
  await juxta?.close()
  await upstream?.close()
})

const post = (path: string, body: BodyInit) =>
  fetch(`${juxta.url}${path}`, { method: 'POST', body, headers: { origin: juxta.url } })

describe('page routes', () => {
  it('keeps pages out of caches, but lets versioned assets be cached and app files revalidate', async () => {
    const page = await fetch(`${juxta.url}/`)
    expect(page.headers.get('cache-control')).toBe('no-store')
    const html = await page.text()
    const htmx = /src="(\/vendor\/htmx-[^"]+\/htmx\.min\.js)"/.exec(html)?.[1]
    expect(htmx).toBeDefined()
    expect((await fetch(`${juxta.url}${htmx}`)).headers.get('cache-control')).toBe(
      'public, max-age=31536000, immutable',
    )
    expect((await fetch(`${juxta.url}/assets/app.css`)).headers.get('cache-control')).toBe('no-cache')
    expect((await fetch(`${juxta.url}/history`)).headers.get('cache-control')).toBe('no-store')
  })

  it('refuses a run form over its limit (64 MiB: room for 8 images) before any upstream call', async () => {
    const res = await postDeclaredOversize(juxta.url, '/runs', COMPARE_MAX_BYTES, 'application/x-www-form-urlencoded')
    expect(res.status).toBe(413)
    expect(res.headers.connection).toBe('close')
    expect(upstream.requests).toHaveLength(0)
    expect((await fetch(`${juxta.url}/`)).status).toBe(200)
  })

  it('answers an invalid form with a 422 fragment that names the problem', async () => {
    const res = await post(
      '/runs',
      new URLSearchParams([
        ['prompt', '  '],
        ['targets', 'p/nope'],
      ]),
    )
    expect(res.status).toBe(422)
    const html = await res.text()
    expect(html).toContain('prompt: must not be empty')
    expect(html).toContain('unknown target')
    expect(upstream.requests).toHaveLength(0)
  })

  it('turns form fields into the JSON API shape, keeping a non-number for validation to name', () => {
    expect(
      formToBody({ prompt: 'hi', targets: ['a/b', 'c/d'], temperature: '0.5', max_tokens: '', system: ' ' }),
    ).toEqual({
      prompt: 'hi',
      targets: ['a/b', 'c/d'],
      temperature: 0.5,
    })
    expect(formToBody({ prompt: 'hi', targets: 'a/b', max_tokens: 'lots' })).toEqual({
      prompt: 'hi',
      targets: ['a/b'],
      max_tokens: 'lots',
    })
  })

  it('streams a run as htmx partials ending with a done event', async () => {
    const res = await post(
      '/runs',
      new URLSearchParams([
        ['prompt', 'hello <b>'],
        ['targets', 'p/text:3'],
      ]),
    )
    expect(res.headers.get('content-type')).toContain('text/event-stream')
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'")
    const body = await res.text()
    expect(body.indexOf('class="run"')).toBeLessThan(body.indexOf('<hx-partial'))
    expect(body).toContain('hello &lt;b&gt;')
    expect(body).not.toContain('hello <b>')
    expect(body.trimEnd().endsWith(`data: ${body.match(/data-run-id="([^"]+)"/)![1]}`)).toBe(true)
    expect(body).toMatch(/event: done\ndata: \S+\s*$/)
  })
})

describe('body limits on every route that reads a body', () => {
  it('answers 413 over the limit on /estimate, /demo and /history/import', async () => {
    const big = 'x'.repeat(1024 * 1024 + 10)
    expect((await post('/estimate', new URLSearchParams([['prompt', big]]))).status).toBe(413)
    // The simulator gets what a run sends upstream, images included: the run's limit.
    const demo = await postDeclaredOversize(juxta.url, '/demo/v1/chat/completions', COMPARE_MAX_BYTES)
    expect(demo.status).toBe(413)
    const huge = new FormData()
    huge.set('file', new File([new Uint8Array(64 * 1024 * 1024 + 10)], 'big.json'))
    expect((await post('/history/import', huge)).status).toBe(413)
  })
})
