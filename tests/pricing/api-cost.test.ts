import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { compareResults, fakeConfig, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { summarizeRun } from '../../src/pricing/summary.ts'

// Recorded streams replayed through the real SDK, engine and JSON API, priced by the default price book at
// the request's own instant (today), with no pricer injected.

let upstream: FakeUpstream
let juxta: RunningJuxta

beforeAll(async () => {
  upstream = await startFakeUpstream()
  upstream.script('mini', { kind: 'fixture', file: 'openai_gpt-4o-mini_stream_include-usage.sse' })
  upstream.script('anthropic/claude-sonnet-4.5', {
    kind: 'fixture',
    file: 'openrouter_claude_stream_reasoning_processing-comments_cost.sse',
  })
  upstream.script('local', {
    kind: 'fixture',
    file: 'llamacpp_gpt-oss-20b_final-chunk_usage-timings_b6097.json',
    mode: 'chunks',
  })
  juxta = await startJuxta({
    config: fakeConfig({
      openai: { base_url: upstream.url, models: ['mini'] },
      openrouter: { base_url: upstream.url, models: ['anthropic/claude-sonnet-4.5'] },
      llamacpp: { base_url: upstream.url, requires_key: false, models: ['local'] },
    }),
  })
})

afterAll(async () => {
  await juxta?.close()
  await upstream?.close()
})

describe('cost on every API result', () => {
  it('prices by the reported model, takes OpenRouter’s own cost, and shows a local model as unknown', async () => {
    const results = await compareResults(juxta.url, 'price these', [
      'openai/mini',
      'openrouter/anthropic/claude-sonnet-4.5',
      'llamacpp/local',
    ])
    const [mini, claude, local] = results

    // "mini" is no model the book knows; the upstream answered as gpt-4o-mini-2024-07-18: 78 × 0.15 + 9 × 0.60 µ$.
    expect(mini!.model).toBe('gpt-4o-mini-2024-07-18')
    expect(mini!.cost).toMatchObject({
      source: 'computed',
      total_usd: 0.0000171,
      input_usd: 0.0000117,
      output_usd: 0.0000054,
      price_source: 'genai-prices 0.1.8: openai/gpt-4o-mini (by reported model gpt-4o-mini-2024-07-18)',
    })

    expect(claude!.cost).toMatchObject({
      source: 'reported',
      total_usd: 0.000669,
      computed_usd: 0.000669,
      disagreement: false,
    })

    expect(local!.cost).toMatchObject({
      source: 'unknown',
      reason: 'no-price',
      total_usd: null,
      input_usd: null,
      output_usd: null,
    })

    const summary = summarizeRun(results)
    expect(summary.cheapest?.target).toBe('openai/mini')
    expect(summary.targets[1]!.cost_multiple).toBe(39.12) // 669 / 17.1
    expect(summary.targets[2]).toMatchObject({ cost_excluded: 'no-price', cost_multiple: null })
  })
})
