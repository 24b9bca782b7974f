import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { formatRatio, ratioSentence } from '../../src/studies/ratio-sentence.ts'
import type { CostRatio } from '../../src/studies/types.ts'

const ratio = (over: Partial<CostRatio>): CostRatio => ({
  target: 'openai/o3',
  vs: 'deepseek/deepseek-flash',
  median: 31.2,
  ci95: [24.4, 38.6],
  prompts: 40,
  geo_mean: null,
  total_ratio: null,
  excluded: { unknown: 0, zero_b: 0 },
  note: null,
  ...over,
})

describe('ratioSentence', () => {
  it('says how many times less the cheapest costs, with the interval (the seed question)', () => {
    expect(ratioSentence(ratio({}))).toBe(
      'deepseek/deepseek-flash costs 31× less than openai/o3 per request on these 40 prompts (95% CI 24–39×).',
    )
  })

  it('turns the sentence round when the target is cheaper on the median prompt, inverting the interval', () => {
    expect(ratioSentence(ratio({ median: 0.5, ci95: [0.25, 0.8], prompts: 12 }))).toBe(
      'openai/o3 costs 2.0× less than deepseek/deepseek-flash per request on these 12 prompts (95% CI 1.25–4.0×).',
    )
  })

  it('gives the note instead of an interval, and says when there is no ratio at all', () => {
    expect(ratioSentence(ratio({ median: 3, ci95: null, prompts: 3, note: 'too few prompts for an interval' }))).toBe(
      'deepseek/deepseek-flash costs 3.0× less than openai/o3 per request on these 3 prompts ' +
        '(too few prompts for an interval).',
    )
    expect(ratioSentence(ratio({ median: null, ci95: null, prompts: 0, note: 'no prompt with a known cost' }))).toBe(
      'openai/o3 against deepseek/deepseek-flash: no ratio (no prompt with a known cost).',
    )
    expect(ratioSentence(ratio({ median: 1, ci95: [1, 1], prompts: 1 }))).toBe(
      'openai/o3 and deepseek/deepseek-flash cost the same per request on this one prompt (95% CI 1.00–1.00×).',
    )
  })

  it('uses the labels it is given', () => {
    const labels: Record<string, string> = { 'openai/o3': 'o3', 'deepseek/deepseek-flash': 'Flash' }
    expect(ratioSentence(ratio({}), (t) => labels[t]!)).toMatch(/^Flash costs 31× less than o3 /)
  })
})

describe('formatRatio', () => {
  it('shows whole numbers from 10 up, one decimal from 2, two below', () => {
    expect([31.2, 10, 9.96, 2.04, 1.234].map(formatRatio)).toEqual(['31×', '10×', '10×', '2.0×', '1.23×'])
  })
})

describe('where the sentence lives', () => {
  it('is domain text: the CLI reads it without importing a view', () => {
    const source = readFileSync(new URL('../../src/cli/study-text.ts', import.meta.url), 'utf8')
    expect(source).toContain("from '../studies/ratio-sentence.ts'")
    expect(source).not.toMatch(/views\/study-parts/)
  })
})
