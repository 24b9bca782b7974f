import { describe, expect, it } from 'vitest'
import type { StoredCell } from '../../src/storage/study-store.ts'
import { summarize } from '../../src/studies/summary.ts'

function cell(target: string, prompt: number, repeat: number, over: Partial<StoredCell> = {}): StoredCell {
  return {
    prompt_index: prompt,
    target_index: 0,
    repeat,
    target,
    status: 'ok',
    run_id: `${target}-${prompt}-${repeat}`,
    started_at: 0,
    finished_at: 1,
    error_kind: null,
    error_message: null,
    cost_pico: 1_000_000n,
    cost_reason: null,
    ttft_ms: 100,
    total_ms: 200,
    input_tokens: 10,
    cached_input_tokens: 0,
    output_tokens: 5,
    reasoning_tokens: 0,
    output_tokens_per_s: 50,
    first_answer_ms: null,
    attempts: 1,
    finish_reason: 'stop',
    input_cost_usd: null,
    output_cost_usd: null,
    price_source: null,
    expected_pass: null,
    answer: '',
    ...over,
  }
}

const targets = (...names: string[]) => names.map((target) => ({ target, label: target }))

describe('summarize', () => {
  it('sums money exactly in pico-dollars (0.1 + 0.2 is 0.3 here)', () => {
    const cells = [
      cell('a/x', 0, 1, { cost_pico: 100_000_000_000n }),
      cell('a/x', 1, 1, { cost_pico: 200_000_000_000n }),
    ]
    const [a] = summarize({ studyId: 's', targets: targets('a/x'), cells }).targets
    expect(a!.cost_usd).toEqual({ total: 0.3, mean: 0.15, median: 0.1, p90: 0.2 })
  })

  it('leaves unknown costs out of the figures and counts them; none known is null, never 0', () => {
    const cells = [
      cell('a/x', 0, 1, { cost_pico: null, cost_reason: 'no-price' }),
      cell('a/x', 1, 1, { cost_pico: 3_000_000n }),
      cell('b/y', 0, 1, { cost_pico: null, cost_reason: 'no-price' }),
      cell('b/y', 1, 1, { status: 'pending', cost_pico: null }),
    ]
    const [a, b] = summarize({ studyId: 's', targets: targets('a/x', 'b/y'), cells }).targets
    expect(a).toMatchObject({ cells: 2, cost_unknown: 1, cost_usd: { total: 0.000003, median: 0.000003 } })
    expect(b).toMatchObject({ cells: 2, ok: 1, cost_unknown: 1, cost_usd: null })
  })

  it('times ok cells only and counts errors by kind', () => {
    const cells = [
      cell('a/x', 0, 1, { ttft_ms: 10, total_ms: 100 }),
      cell('a/x', 1, 1, { ttft_ms: 30, total_ms: 300 }),
      cell('a/x', 2, 1, { status: 'error', error_kind: 'timeout', ttft_ms: 5, total_ms: 60_000 }),
      cell('a/x', 3, 1, { status: 'error', error_kind: 'rate_limit', ttft_ms: null, total_ms: 3 }),
      cell('a/x', 4, 1, { status: 'cancelled', ttft_ms: 1, total_ms: 1 }),
    ]
    const [a] = summarize({ studyId: 's', targets: targets('a/x'), cells }).targets
    expect(a).toMatchObject({
      cells: 5,
      ok: 2,
      errors: 2,
      errors_by_kind: { timeout: 1, rate_limit: 1 },
      ttft_ms: { median: 10, p90: 30 },
      total_ms: { median: 100, p90: 300 },
    })
  })

  it('compares priced targets with the cheapest only; one priced target gives no ratio', () => {
    const cells = [0, 1, 2, 3, 4].flatMap((p) => [
      cell('cheap/x', p, 1, { cost_pico: 1_000_000n * BigInt(p + 1) }),
      cell('dear/y', p, 1, { cost_pico: 4_000_000n * BigInt(p + 1) }),
      cell('free/z', p, 1, { cost_pico: null }),
    ])
    const summary = summarize({ studyId: 's', targets: targets('dear/y', 'cheap/x', 'free/z'), cells })
    expect(summary.cost_ratios).toHaveLength(1)
    expect(summary.cost_ratios[0]).toMatchObject({ target: 'dear/y', vs: 'cheap/x', median: 4, prompts: 5 })
    expect(summary.cost_ratios[0]!.ci95![0]).toBeCloseTo(4, 12)
    const alone = summarize({ studyId: 's', targets: targets('cheap/x', 'free/z'), cells })
    expect(alone.cost_ratios).toEqual([])
  })

  it('compares with the cheapest target that costs more than $0: a free local model is never the baseline', () => {
    const cells = [0, 1, 2, 3, 4].flatMap((p) => [
      cell('local/l', p, 1, { cost_pico: 0n }),
      cell('cheap/x', p, 1, { cost_pico: 1_000_000n * BigInt(p + 1) }),
      cell('dear/y', p, 1, { cost_pico: 3_000_000n * BigInt(p + 1) }),
    ])
    const summary = summarize({ studyId: 's', targets: targets('local/l', 'cheap/x', 'dear/y'), cells })
    expect(summary.cost_ratios.map((r) => [r.target, r.vs, r.median, r.prompts, r.note])).toEqual([
      ['local/l', 'cheap/x', 0, 5, null],
      ['dear/y', 'cheap/x', 3, 5, null],
    ])
    // Every priced target free: the baseline is free too, and the note says why there is no ratio.
    const free = [0, 1].flatMap((p) => [
      cell('local/l', p, 1, { cost_pico: 0n }),
      cell('local/m', p, 1, { cost_pico: 0n }),
    ])
    const allFree = summarize({ studyId: 's', targets: targets('local/l', 'local/m'), cells: free })
    expect(allFree.cost_ratios).toMatchObject([
      { target: 'local/m', vs: 'local/l', median: null, note: 'the cheaper target cost $0 on every prompt' },
    ])
  })
})
