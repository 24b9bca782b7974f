import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseHTML } from 'linkedom'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StudyView } from '../../src/studies/types.ts'
import { type FakeUpstream, startFakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig, type ProviderSpec, startJuxta } from '../helpers/juxta.ts'
import { closedLoopbackPort } from '../helpers/ports.ts'
import { api, type StudyRig, startStudyRig, waitForStudy } from '../helpers/study-rig.ts'

// Three targets on loopback upstreams with known usage: every answer has 10 input and 100 output tokens.
//   pa/model-a: output $1/M → $0.0001 a request;  pb/model-b: output $10/M → $0.001: 10× a on every prompt.
//   deepseek/deepseek-flash: priced by Juxta's overrides (peak / off-peak), so it has a price what-if.
const ANSWER = ['**bold** answer ', '<script>alert(1)</script>', ' w3']
const PROMPTS = ['first prompt', '<img src=x onerror=alert(2)>', 'third', 'fourth', 'fifth']
// DeepSeek's price depends on the hour the cells ran (off-peak $0.0000615 a request, peak $0.000123), and so
// does the cheapest target: the sentences expected are those of the window the cells were priced in.
const RATIOS_OFF_PEAK = [
  'deepseek-flash costs 1.63× less than model-a per request on these 5 prompts (95% CI 1.63–1.63×).',
  'deepseek-flash costs 16× less than model-b per request on these 5 prompts (95% CI 16–16×).',
]
const RATIOS_PEAK = [
  'model-a costs 10× less than model-b per request on these 5 prompts (95% CI 10–10×).',
  'model-a costs 1.23× less than deepseek-flash per request on these 5 prompts (95% CI 1.23–1.23×).',
]
let RATIOS: string[] = []

let upstream: FakeUpstream
let rig: StudyRig
let url: string

const text = (ms = 1) => ({
  kind: 'text' as const,
  deltas: ANSWER,
  everyMs: ms,
  usageBody: { prompt_tokens: 10, completion_tokens: 100, total_tokens: 110 },
})

beforeAll(async () => {
  upstream = await startFakeUpstream()
  upstream.script('model-a', text())
  upstream.script('model-b', text())
  upstream.script('deepseek-flash', text())
  upstream.script('model-slow', text(150))
  const priced = (model: string, output: number) => ({
    base_url: upstream.url,
    models: [{ id: model, price: { input: 0, output } }],
  })
  rig = await startStudyRig(
    fakeConfig({
      pa: priced('model-a', 1),
      pb: priced('model-b', 10),
      ps: priced('model-slow', 1),
      pi: { base_url: upstream.url, models: [{ id: 'model-in', price: { input: 100, output: 100 } }] },
      pf: { base_url: upstream.url, models: ['fault:500'] },
      // A local server that does not answer: the picker folds it with a "check again" button.
      local: {
        base_url: `http://127.0.0.1:${await closedLoopbackPort()}/v1`,
        requires_key: false,
        models: ['llama'],
      } as ProviderSpec,
      deepseek: { base_url: upstream.url, models: ['deepseek-flash'] },
    }),
  )
  url = rig.juxta.url
  await rig.juxta.ctx.reachability.settle(rig.juxta.ctx.catalog().providers, { maxWaitMs: 10_000 })
}, 60_000)

afterAll(async () => {
  await rig?.close()
  await upstream?.close()
})

function form(
  fields: Record<string, string | string[]>,
  file?: { name: string; text: string | Uint8Array<ArrayBuffer> },
): FormData {
  const data = new FormData()
  for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) data.append(k, one)
  if (file) data.append('file', new File([file.text], file.name, { type: 'text/plain' }))
  return data
}

async function post(path: string, body: FormData) {
  const res = await fetch(`${url}${path}`, { method: 'POST', body, redirect: 'manual' })
  return { status: res.status, location: res.headers.get('location'), html: await res.text(), headers: res.headers }
}

const page = async (path: string) => {
  const res = await fetch(`${url}${path}`)
  return { status: res.status, html: await res.text(), headers: res.headers }
}
const doc = (html: string) =>
  parseHTML(html.startsWith('<!DOCTYPE') ? html : `<!DOCTYPE html><html><body>${html}</body></html>`).document
const textOf = (html: string) => (doc(html).body.textContent ?? '').replace(/\s+/g, ' ')

describe('a study created from the page', () => {
  let id: string
  let view: StudyView

  beforeAll(async () => {
    const created = await post(
      '/studies',
      form({
        name: 'ten times',
        prompts: PROMPTS.join('\n'),
        targets: ['pa/model-a', 'pb/model-b', 'deepseek/deepseek-flash'],
        repeats: '1',
        concurrency: '2',
      }),
    )
    expect(created.status).toBe(303)
    expect(created.location).toMatch(/^\/studies\/[0-9a-z]+\?notice=started$/)
    id = created.location!.split('/')[2]!.split('?')[0]!
    view = await waitForStudy(url, id)
    const { cells } = (
      await api<{ cells: Array<{ target: string; price_source: string | null }> }>(url, `/api/studies/${id}/cells`)
    ).body
    const windows = new Set(cells.filter((c) => c.target.endsWith('deepseek-flash')).map((c) => c.price_source))
    // All five in one window (a study straddling a window's edge would need its own figures).
    expect(windows.size).toBe(1)
    RATIOS = [...windows][0]!.includes('off-peak') ? RATIOS_OFF_PEAK : RATIOS_PEAK
  }, 60_000)

  it('runs every cell and lists the study, newest first, with its progress and spend', async () => {
    expect(view.status).toBe('done')
    expect(view.progress).toMatchObject({ done: 15, total: 15 })
    const list = await page('/studies')
    expect(list.status).toBe(200)
    const row = doc(list.html).querySelector(`tr[data-study-id="${id}"]`)!
    expect(row.textContent).toContain('ten times')
    expect(row.textContent).toContain('15 / 15')
    expect(row.textContent).toContain('Done')
    expect(doc(list.html).querySelector('nav a[aria-current="page"]')?.textContent).toBe('Studies')
  })

  it('shows the summary figures per target, unknown never as $0, and the paired-ratio sentence', async () => {
    const { html, status } = await page(`/studies/${id}`)
    expect(status).toBe(200)
    const row = (target: string) =>
      [...doc(html).querySelectorAll(`table.study-summary tr[data-target="${target}"] td`)].map((c) => c.textContent)
    // Cells, OK, errors, total, mean, median, p90 (5 × $0.0001 = $0.0005).
    expect(row('pa/model-a').slice(0, 7)).toEqual(['5', '5', '0', '$0.0005', '$0.0001', '$0.0001', '$0.0001'])
    expect(row('pb/model-b').slice(3, 7)).toEqual(['$0.005', '$0.001', '$0.001', '$0.001'])
    // Every target against the cheapest by median cost (deepseek-flash off-peak, model-a at peak hours).
    expect([...doc(html).querySelectorAll('ul.ratios li')].map((li) => li.textContent)).toEqual(RATIOS)
    expect(html).not.toContain('$0.00<')
  })

  it('draws the three charts as inline SVG images with a text alternative', async () => {
    const { html } = await page(`/studies/${id}`)
    const figures = [...doc(html).querySelectorAll('figure.chart-figure > svg[role="img"]')]
    expect(figures.map((f) => f.getAttribute('aria-label'))).toEqual([
      'Cost per request per target',
      'Time to first token per target',
      'Cost against time to first token',
    ])
    expect(html).not.toMatch(/<style|style=/)
  })

  it('prices the DeepSeek cells in each of its windows (the what-if)', async () => {
    const { html } = await page(`/studies/${id}`)
    const table = doc(html).querySelector('section.what-if table')!
    expect(table.querySelector('caption')!.textContent).toContain('deepseek-flash: the same 5 requests')
    const rows = [...table.querySelectorAll('tbody tr')].map((r) =>
      [...r.children].slice(0, 3).map((c) => c.textContent),
    )
    // Off-peak 0.15 in / 0.60 out per 1M: 5 × (10 × 0.15 + 100 × 0.60) / 1M = $0.0003075; peak twice that.
    expect(rows).toEqual([
      [
        'off-peak (outside 01:00–04:00 and 06:00–10:00 UTC Mon–Fri)',
        'in $0.15 · cached $0.003 · out $0.6',
        '$0.000308',
      ],
      [
        'peak (01:00–04:00 UTC Mon–Fri); peak (06:00–10:00 UTC Mon–Fri)',
        'in $0.3 · cached $0.006 · out $1.2',
        '$0.000615',
      ],
    ])
  })

  it('shows the per-prompt grid, every string escaped, each row opening the prompt', async () => {
    const { html } = await page(`/studies/${id}`)
    const rows = [...doc(html).querySelectorAll('table.grid-table tbody tr')]
    expect(rows).toHaveLength(5)
    const second = rows[1]!
    expect(second.querySelector('th a')!.getAttribute('href')).toBe(`/studies/${id}/prompts/1`)
    expect(second.querySelector('th a')!.textContent).toBe(PROMPTS[1])
    const cell = second.querySelector('td[data-target="pa/model-a"]')!
    expect(cell.textContent).toContain('1 ok')
    expect(cell.textContent).toContain('$0.0001')
    expect(cell.textContent).toContain('<script>alert(1)</script>')
    expect(doc(html).querySelectorAll('main script, main img')).toHaveLength(0)
  })

  it('opens one prompt with every answer rendered as Markdown, side by side, linking to its run', async () => {
    const { html, status } = await page(`/studies/${id}/prompts/1`)
    expect(status).toBe(200)
    const d = doc(html)
    expect(d.querySelector('.study-prompt-text')!.textContent).toBe(PROMPTS[1])
    const columns = [...d.querySelectorAll('.study-columns > section')]
    expect(columns.map((c) => c.querySelector('h3')!.textContent)).toEqual(['model-a', 'model-b', 'deepseek-flash'])
    expect(d.querySelectorAll('.answer-full strong')).toHaveLength(3)
    expect(d.querySelectorAll('main script, main img')).toHaveLength(0)
    const runLink = columns[0]!.querySelector('a[href^="/runs/"]')!.getAttribute('href')!
    const run = await page(runLink)
    expect(run.status).toBe(200)
    expect(doc(run.html).querySelector(`.breadcrumbs a[href="/studies/${id}"]`)).not.toBeNull()
    expect((await page(`/studies/${id}/prompts/5`)).status).toBe(404)
  })

  it('marks the study’s runs in history with a badge linking to it', async () => {
    const { html } = await page('/history')
    const badges = doc(html).querySelectorAll(`a.study-badge[href="/studies/${id}"]`)
    expect(badges.length).toBe(15)
  })

  it('stops the live progress once the study has ended: the poll asks for a reload', async () => {
    const res = await page(`/studies/${id}/progress`)
    expect(res.headers.get('hx-redirect')).toBe(`/studies/${id}`)
    expect(doc(res.html).querySelector('progress')!.getAttribute('value')).toBe('15')
    // The finished page polls nothing.
    expect((await page(`/studies/${id}`)).html).not.toContain('hx-trigger')
  })

  it('passes htmx 4 upgrade-check on every study page and fragment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'juxta-study-upgrade-'))
    try {
      const paths = [
        '/studies',
        '/studies/new',
        `/studies/${id}`,
        `/studies/${id}/prompts/0`,
        `/studies/${id}/progress`,
      ]
      paths.push('/studies/new/history?history_q=third')
      for (const [i, path] of paths.entries()) writeFileSync(join(dir, `page-${i}.html`), (await page(path)).html)
      const fields = { prompts: 'one', targets: ['pa/model-a'] }
      writeFileSync(join(dir, 'estimate.html'), (await post('/studies/estimate', form(fields))).html)
      writeFileSync(join(dir, 'refused.html'), (await post('/studies', form({ ...fields, repeats: '99' }))).html)
      const checker = join(createRequire(import.meta.url).resolve('htmx.org/package.json'), '..', 'dist', 'scripts')
      const run = spawnSync('node', [join(checker, 'upgrade-check.js'), dir], { encoding: 'utf8' })
      const output = `${run.stdout}${run.stderr}`
      expect(output).toContain(`Scanning ${paths.length + 2} file(s)`)
      expect(run.status, output).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('downloads a self-contained report: no script, no external reference, the figures inside', async () => {
    const res = await fetch(`${url}/api/studies/${id}/export.html`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="juxta-study-ten-times.html"')
    expect(res.headers.get('content-security-policy')).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
    )
    const html = await res.text()
    expect(html).not.toMatch(/https?:|url\(|@import/i)
    const d = doc(html)
    // Nothing loads or runs: no element that fetches, no attribute that points anywhere, no handler.
    expect(d.querySelectorAll('script, link, img, iframe, object, embed, use, image, a, form')).toHaveLength(0)
    const attributes = [...d.querySelectorAll('*')].flatMap((el) => [...el.attributes].map((a) => a.name))
    expect(attributes.filter((a) => /^(src|href|xlink:href|action|style)$|^on/i.test(a))).toEqual([])
    const text = textOf(html)
    expect(text).toContain('ten times')
    expect([...d.querySelectorAll('ul.ratios li')].map((li) => li.textContent)).toEqual(RATIOS)
    expect(doc(html).querySelectorAll('svg[role="img"]')).toHaveLength(3)
    expect(doc(html).querySelectorAll('table.grid-table tbody tr')).toHaveLength(5)
    expect(text).toContain('<script>alert(1)</script>')
    expect(text).toContain('peak (01:00–04:00 UTC Mon–Fri)')
    expect((await fetch(`${url}/api/studies/nope/export.html`)).status).toBe(404)
  })
})

describe('the new-study form', () => {
  it('offers recent runs to take prompts from, searchable, keeping the ticked ones', async () => {
    const first = await api<{ runs: Array<{ run_id: string; prompt: string }> }>(url, '/api/runs?limit=50')
    const third = first.body.runs.find((r) => r.prompt === 'third')!
    const res = await page(`/studies/new/history?history_q=fourth&history=${third.run_id}`)
    const picks = [...doc(res.html).querySelectorAll('#history-picks input')]
    expect(picks[0]!.getAttribute('value')).toBe(third.run_id)
    expect(picks[0]!.hasAttribute('checked')).toBe(true)
    const labels = picks.map((p) => p.closest('label')!.textContent)
    expect(labels.slice(1).every((l) => l!.includes('fourth'))).toBe(true)
  })

  it('reuses the compare page’s target picker, whose "check again" keeps this form’s ticks', async () => {
    const recheck = (html: string) => doc(html).querySelector('#targets button.recheck')!
    const fresh = recheck((await page('/studies/new')).html)
    expect(fresh.getAttribute('hx-include')).toBe('#study-form')
    expect(JSON.parse(fresh.getAttribute('hx-vals')!)).toEqual({ picker_form: 'study-form' })
    const res = await post('/targets/check', form({ picker_form: 'study-form', targets: ['pa/model-a'] }))
    expect(doc(res.html).querySelector('input[value="pa/model-a"]')!.hasAttribute('checked')).toBe(true)
    expect(recheck(res.html).getAttribute('hx-include')).toBe('#study-form')
    // The compare page's own picker is unchanged.
    const compare = recheck((await page('/')).html)
    expect([compare.getAttribute('hx-include'), compare.hasAttribute('hx-vals')]).toEqual(['#compare-form', false])
  })

  it('re-renders with the file line and problem, keeping what was typed; nothing starts', async () => {
    const before = (await api<{ studies: unknown[] }>(url, '/api/studies')).body.studies.length
    const res = await post(
      '/studies',
      form(
        { prompts: 'kept line', targets: ['pa/model-a'], repeats: '3', name: 'kept name' },
        { name: 'set.jsonl', text: '{"prompt":"ok"}\n{"nope":1}\n' },
      ),
    )
    expect(res.status).toBe(422)
    const d = doc(res.html)
    expect(d.querySelector('.form-errors')!.textContent).toContain('set.jsonl line 2: unknown field "nope"')
    expect(d.querySelector('#study-prompts')!.textContent).toBe('kept line')
    expect(d.querySelector('#study-name')!.getAttribute('value')).toBe('kept name')
    expect(d.querySelector('#study-repeats')!.getAttribute('value')).toBe('3')
    expect(d.querySelector('input[value="pa/model-a"]')!.hasAttribute('checked')).toBe(true)
    expect((await api<{ studies: unknown[] }>(url, '/api/studies')).body.studies.length).toBe(before)
  })

  it('refuses an uploaded image or a non-UTF-8 file with 422 instead of reading prompts; nothing starts', async () => {
    const before = (await api<{ studies: unknown[] }>(url, '/api/studies')).body.studies.length
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52])
    const cases = [
      [{ name: 'photo.png', text: png }, 'photo.png line 1: not a CSV, JSONL or text file (.csv, .jsonl, .txt)'],
      [{ name: 'photo.txt', text: png }, 'photo.txt line 1: not UTF-8 text'],
    ] as const
    for (const [file, message] of cases) {
      const res = await post('/studies', form({ prompts: 'kept line', targets: ['pa/model-a'] }, file))
      expect(res.status).toBe(422)
      expect(doc(res.html).querySelector('.form-errors')!.textContent).toContain(message)
    }
    expect((await api<{ studies: unknown[] }>(url, '/api/studies')).body.studies.length).toBe(before)
  })

  it('names a bad pasted line and an unknown target', async () => {
    const res = await post('/studies', form({ prompts: 'a\n\nb', targets: ['nope/x'], repeats: '21' }))
    expect(res.status).toBe(422)
    const errors = doc(res.html).querySelector('.form-errors')!.textContent!
    expect(errors).toContain('unknown target "nope/x"')
    expect(errors).toContain('repeats')
  })

  it('estimates cells and cost, and says when the budget refuses it; creating it is refused too', async () => {
    const fields = { prompts: 'one\ntwo', targets: ['pa/model-a', 'pi/model-in'], repeats: '2', max_tokens: '1000' }
    const ok = await post('/studies/estimate', form(fields))
    expect(ok.status).toBe(200)
    expect(textOf(ok.html)).toMatch(/8 cells, estimated cost \$[0-9.]+ – \$[0-9.]+/)
    const over = await post('/studies/estimate', form({ ...fields, max_usd: '0.000001' }))
    expect(textOf(over.html)).toContain('Above the budget of $0.000001: the study would not start.')
    const maybe = await post('/studies/estimate', form({ ...fields, max_usd: '0.1' }))
    expect(textOf(maybe.html)).toContain('It may cost more than the budget of $0.10')
    const refused = await post('/studies', form({ ...fields, max_usd: '0.000001' }))
    expect(refused.status).toBe(422)
    expect(doc(refused.html).querySelector('.form-errors')!.textContent).toContain('above the budget of')
  })
})

describe('a study from an uploaded CSV, with a failing target and more prompts than a grid page', () => {
  it('shows errors and unknown costs as such, pass/fail per cell, and pages the grid', async () => {
    // 30 prompts: even ones expect "bold" (the answer has it), odd ones "zzz" (it has not).
    const csv = ['prompt,expected', ...Array.from({ length: 30 }, (_, i) => `q${i},contains:${i % 2 ? 'zzz' : 'bold'}`)]
    const created = await post(
      '/studies',
      form({ targets: ['pa/model-a', 'pf/fault:500'], concurrency: '4' }, { name: 'set.csv', text: csv.join('\n') }),
    )
    expect(created.status).toBe(303)
    const id = created.location!.split('/')[2]!.split('?')[0]!
    await waitForStudy(url, id)
    const first = doc((await page(`/studies/${id}`)).html)
    const cells = (target: string) =>
      [...first.querySelectorAll(`table.study-summary tr[data-target="${target}"] td`)].map((c) => c.textContent)
    // Cells, OK, errors, cost total, mean, median, p90 … pass rate.
    expect(cells('pf/fault:500').slice(0, 7)).toEqual([
      '30',
      '0',
      '30 (upstream 30)',
      'unknown (30 cells)',
      ...['unknown', 'unknown', 'unknown'],
    ])
    expect(cells('pf/fault:500').at(-1)).toBe('0% (0/30)')
    expect(cells('pa/model-a').at(-1)).toBe('50% (15/30)')
    expect(first.querySelector('ul.ratios, p.ratio-none')!.textContent).toContain(
      'at least two targets with a known cost',
    )
    // The grid: 25 prompts on the first page, 5 on the second.
    expect(first.querySelectorAll('table.grid-table tbody tr')).toHaveLength(25)
    const a0 = first.querySelector('tr[data-prompt="0"] td[data-target="pa/model-a"]')!
    const a1 = first.querySelector('tr[data-prompt="1"] td[data-target="pa/model-a"]')!
    expect([a0.querySelector('.check-pass')?.textContent, a1.querySelector('.check-fail')?.textContent]).toEqual([
      'pass 1/1',
      'fail 1/1',
    ])
    const failed = first.querySelector('tr[data-prompt="0"] td[data-target="pf/fault:500"]')!
    expect(failed.querySelector('.badge')!.textContent).toBe('1 upstream')
    expect(failed.textContent).toContain('cost unknown')
    const second = doc((await page(`/studies/${id}?page=2`)).html)
    expect([...second.querySelectorAll('table.grid-table tbody tr')].map((r) => r.getAttribute('data-prompt'))).toEqual(
      ['25', '26', '27', '28', '29'],
    )
    expect(second.querySelector('nav.pager a[rel="prev"]')!.getAttribute('href')).toBe(
      `/studies/${id}?page=1#grid-heading`,
    )
  }, 30_000)
})

describe('pause, resume and cancel from the page', () => {
  it('pauses a running study, resumes it, then cancels it, each a form post that comes back to the page', async () => {
    const created = await post(
      '/studies',
      form({ prompts: 'a\nb\nc\nd\ne\nf\ng\nh', targets: ['ps/model-slow'], concurrency: '1' }),
    )
    const id = created.location!.split('/')[2]!.split('?')[0]!
    const running = await page(`/studies/${id}`)
    const live = doc(running.html).querySelector('#study-live')!
    expect(live.getAttribute('hx-trigger')).toBe('every 1s')
    expect(doc(running.html).querySelector(`form[action="/studies/${id}/pause"]`)).not.toBeNull()

    const paused = await post(`/studies/${id}/pause`, new FormData())
    expect(paused.status).toBe(303)
    expect(paused.location).toBe(`/studies/${id}?notice=paused`)
    const pausedPage = await page(paused.location!)
    expect(textOf(pausedPage.html)).toContain('Progress: Paused')
    expect(doc(pausedPage.html).querySelector(`form[action="/studies/${id}/resume"]`)).not.toBeNull()

    const resumed = await post(`/studies/${id}/resume`, new FormData())
    expect(resumed.location).toBe(`/studies/${id}?notice=resumed`)
    const cancelled = await post(`/studies/${id}/cancel`, new FormData())
    expect(cancelled.location).toBe(`/studies/${id}?notice=cancelled`)
    const view = await waitForStudy(url, id)
    expect(view.status).toBe('cancelled')
    // Resuming a cancelled study is refused, with the reason on the page.
    const again = await post(`/studies/${id}/resume`, new FormData())
    expect(again.status).toBe(409)
    expect(doc(again.html).querySelector('.form-errors')).not.toBeNull()
  }, 30_000)
})

describe('without a history database', () => {
  it('says studies need one instead of failing', async () => {
    const plain = await startJuxta({ config: fakeConfig({ pa: { base_url: 'http://127.0.0.1:9/v1', models: ['m'] } }) })
    try {
      for (const path of ['/studies', '/studies/new']) {
        const res = await fetch(`${plain.url}${path}`)
        expect(res.status).toBe(503)
        expect(await res.text()).toContain('Studies need the history database')
      }
      expect((await fetch(`${plain.url}/api/studies/x/export.html`)).status).toBe(503)
    } finally {
      await plain.close()
    }
  })
})
