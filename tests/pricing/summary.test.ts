import { describe, expect, it } from 'vitest'
import { summarizeRun, type SummaryInput } from '../../src/pricing/summary.ts'
import { unknownCost, type Cost } from '../../src/domain/types.ts'
import type { TargetStatus } from '../../src/domain/types.ts'

const computed = (total: number, extra: Partial<Cost> = {}): Cost => ({
  input_usd: null,
  output_usd: null,
  total_usd: total,
  source: 'computed',
  reason: null,
  price_source: 'test',
  unit_price: null,
  usage_source: 'reported',
  ...extra,
})

const result = (
  target: string,
  cost: Cost,
  total_ms: number,
  ttft_ms: number | null,
  status: TargetStatus = 'ok',
): SummaryInput => ({
  target,
  status,
  cost,
  timing: { ttft_ms, first_answer_ms: ttft_ms, total_ms, output_tokens_per_s: null },
})

describe('summarizeRun', () => {
  const o1 = result('openai/o1', computed(0.075), 9000, 2500)
  const r1 = result('deepseek/deepseek-reasoner', computed(0.00274), 30000, 900)
  const local = result('ollama/llama3.2', unknownCost('no-price'), 4000, 200)
  const broken = result('groq/llama', computed(0.0001), 100, 50, 'error')

  it('finds the cheapest and fastest and expresses everyone else as multiples', () => {
    const s = summarizeRun([o1, r1, local, broken])
    expect(s.cheapest).toEqual({ target: 'deepseek/deepseek-reasoner', total_usd: 0.00274 })
    expect(s.fastest).toEqual({ target: 'ollama/llama3.2', total_ms: 4000 })
    expect(s.fastest_ttft).toEqual({ target: 'ollama/llama3.2', ttft_ms: 200 })
    const [a, b, c, d] = s.targets
    expect(a).toMatchObject({
      target: 'openai/o1',
      cost_multiple: 27.37,
      latency_multiple: 2.25,
      ttft_multiple: 12.5,
      cheapest: false,
    })
    expect(b).toMatchObject({ cost_multiple: 1, cheapest: true, latency_multiple: 7.5, ttft_multiple: 4.5 })
    expect(c).toMatchObject({ fastest: true, fastest_ttft: true, latency_multiple: 1 })
    expect(d!.target).toBe('groq/llama')
  })

  it('leaves unknown costs out of the cost ranking with their reason, never as $0', () => {
    const c = summarizeRun([o1, r1, local]).targets[2]!
    expect(c).toMatchObject({
      cost_usd: null,
      cost_multiple: null,
      cost_excluded: 'no-price',
      per_1000_usd: null,
      cheapest: false,
    })
  })

  it('ranks only targets that finished: a failed one is neither cheapest nor fastest', () => {
    const s = summarizeRun([o1, broken])
    expect(s.cheapest!.target).toBe('openai/o1')
    expect(s.fastest!.target).toBe('openai/o1')
    expect(s.targets[1]).toMatchObject({
      cost_usd: 0.0001,
      cost_multiple: null,
      cost_excluded: 'status: error',
      latency_multiple: null,
      latency_excluded: 'status: error',
      fastest: false,
    })
  })

  it('projects 1,000 requests exactly', () => {
    const s = summarizeRun([result('a', computed(0.00011844), 1, 1), result('b', computed(0.0000001), 1, 1)])
    expect(s.targets[0]!.per_1000_usd).toBe(0.11844)
    expect(s.targets[1]!.per_1000_usd).toBe(0.0001)
  })

  it('marks costs that rest on estimated usage and ranks reported costs by their total', () => {
    const est = result('est', computed(0.002, { reason: 'estimated-usage', usage_source: 'estimated' }), 10, 1)
    const rep = result('rep', computed(0.001, { source: 'reported' }), 10, 1)
    const s = summarizeRun([est, rep])
    expect(s.targets[0]).toMatchObject({ cost_estimated: true, cost_multiple: 2 })
    expect(s.targets[1]).toMatchObject({ cost_estimated: false, cheapest: true })
  })

  it('handles a free cheapest target, ties, a missing TTFT and an empty run', () => {
    const s = summarizeRun([
      result('free', computed(0), 10, null),
      result('free2', computed(0), 10, 5),
      result('paid', computed(0.01), 20, 5),
    ])
    expect(s.targets.map((t) => t.cost_multiple)).toEqual([1, 1, null])
    expect(s.targets.map((t) => t.cheapest)).toEqual([true, true, false])
    expect(s.targets.map((t) => t.fastest)).toEqual([true, true, false])
    expect(s.fastest_ttft).toEqual({ target: 'free2', ttft_ms: 5 })
    expect(s.targets[0]!.ttft_multiple).toBeNull()
    expect(summarizeRun([])).toEqual({ cheapest: null, fastest: null, fastest_ttft: null, targets: [] })
  })
})
