import { createRequire } from 'node:module'
import type { calcPrice as CalcPrice } from '@pydantic/genai-prices'
import { describe, expect, it } from 'vitest'
import { heldAround, libraryPrice } from '../../src/pricing/library-book.ts'

const { calcPrice } = createRequire(import.meta.url)('@pydantic/genai-prices') as { calcPrice: typeof CalcPrice }

const MIN = 60_000
const HOUR = 60 * MIN

/** Instants every `step` over `span` from `start`, plus each edge of the model's windows and dates ±1 ms. */
function instants(start: number, span: number, step: number, edges: number[]): number[] {
  const out: number[] = []
  for (let t = start; t < start + span; t += step) out.push(t)
  for (const e of edges) out.push(e - 1, e, e + 1)
  return out.sort((a, b) => a - b)
}

describe('library prices kept between look-ups', () => {
  // DeepSeek's models have daily off-peak windows and dated entries: the cases where a kept match could go stale.
  const cases: Array<[string, string, string]> = [
    ['deepseek', 'deepseek-chat', '2025-09-05T00:00:00Z'],
    ['deepseek', 'deepseek-reasoner', '2025-09-05T00:00:00Z'],
    ['deepseek', 'deepseek-v4-flash', '2026-08-16T00:00:00Z'],
    ['openai', 'gpt-4o', '2025-01-01T00:00:00Z'],
  ]
  for (const [provider, model, from] of cases) {
    it(`${provider}/${model}: the same entry as the library at every instant, in time order and back`, () => {
      const start = Date.parse(from)
      const day = Math.floor(start / (24 * HOUR)) * 24 * HOUR
      const windowEdges = [0, 0.5, 1, 4, 6, 10, 16.5, 24, 24.5, 25, 28, 30, 34, 40.5].map((h) => day + h * HOUR)
      const dated = [Date.parse('2026-08-17T00:00:00Z')]
      const ts = instants(start, 48 * HOUR, 7 * MIN, [...windowEdges, ...dated])
      for (const t of [...ts, ...ts.reverse()]) {
        const at = new Date(t)
        const direct = calcPrice({}, model, { providerId: provider, timestamp: at })
        const ours = libraryPrice(provider, model, at, 1000)
        expect(ours === undefined, `${model} at ${at.toISOString()}`).toBe(direct === null)
        if (!direct || !ours) continue
        expect(ours.price.input, `${model} at ${at.toISOString()}`).toBe(direct.model_price.input_mtok)
        expect(ours.price.output, `${model} at ${at.toISOString()}`).toBe(direct.model_price.output_mtok)
      }
    })
  }

  it('has no price for an unknown model, asked twice', () => {
    expect(libraryPrice('openai', 'no-such-model-xyz', new Date(), 10)).toBeUndefined()
    expect(libraryPrice('openai', 'no-such-model-xyz', new Date(), 10)).toBeUndefined()
  })

  it('keeps an entry until the next edge of its windows and dates, 1 ms clear of each', () => {
    const model = {
      id: 'm',
      match: { equals: 'm' },
      prices: [
        { prices: { input_mtok: 1, output_mtok: 2 } },
        { constraint: { type: 'start_date', start_date: '2026-03-01' }, prices: { input_mtok: 3, output_mtok: 4 } },
        {
          constraint: { type: 'time_of_date', start_time: '16:30:00Z', end_time: '00:30:00Z' },
          prices: { input_mtok: 0.5, output_mtok: 1 },
        },
      ],
    } as Parameters<typeof heldAround>[0]
    const t = Date.parse('2026-03-01T12:00:00Z')
    expect(heldAround(model, t)).toEqual({
      from: Date.parse('2026-03-01T00:30:00Z') + 1,
      to: Date.parse('2026-03-01T16:30:00Z') - 1,
    })
    const night = Date.parse('2026-02-28T23:00:00Z')
    expect(heldAround(model, night)).toEqual({
      from: Date.parse('2026-02-28T16:30:00Z') + 1,
      to: Date.parse('2026-03-01T00:00:00Z') - 1,
    })
    // Exactly on an edge: held from that instant.
    const edge = Date.parse('2026-03-01T16:30:00Z')
    expect(heldAround(model, edge).from).toBe(edge)
    // A malformed window is never kept.
    const bad = { ...model, prices: [{ constraint: { type: 'time_of_date', start_time: '25:00', end_time: 'x' } }] }
    expect(heldAround(bad as typeof model, t)).toEqual({ from: t, to: t })
  })
})
