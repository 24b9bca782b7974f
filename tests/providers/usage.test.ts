import { describe, expect, it } from 'vitest'
import { readUsage, usageFrom } from '../../src/providers/usage.ts'
import { readFixture } from '../helpers/fake-upstream.ts'

const body = (file: string) => JSON.parse(readFixture(file).toString('utf8')) as Record<string, unknown>

describe('usageFrom on recorded non-stream bodies', () => {
  it.each([
    // file, input, cached, output, reasoning
    ['deepseek-chat_nonstream_length_2025-12.json', 13, 0, 300, 0],
    ['deepseek-reasoner_nonstream_2025-12.json', 18, 0, 345, 315],
    ['deepseek-reasoner_nonstream_cache-hit_2025-12.json', 495, 320, 144, 118],
    ['groq_llama-3.3-70b_nonstream.json', 45, 0, 607, 0],
    ['ollama_qwen3-0.6b_nonstream_reasoning-field.json', 136, 0, 15, 0],
    ['openai_gpt-4.1-nano_nonstream.json', 16, 0, 363, 0],
    ['openai_o3-mini_nonstream_reasoning-tokens.json', 7, 0, 87, 64],
    ['openrouter_gpt-5-mini_nonstream_usage-include_cost.json', 17, 0, 2177, 960],
    ['llamacpp_gpt-oss-20b_final-chunk_usage-timings_b6097.json', 1085, 0, 247, 0],
  ] as const)('%s → %i in (%i cached), %i out (%i reasoning)', (file, input, cached, output, reasoning) => {
    const usage = usageFrom(body(file))
    expect(usage).toBeDefined()
    expect(usage!.input_tokens).toBe(input)
    expect(usage!.cached_input_tokens).toBe(cached)
    expect(usage!.output_tokens).toBe(output)
    expect(usage!.reasoning_tokens).toBe(reasoning)
  })

  it('carries the OpenRouter usage.cost as the reported cost, and nothing for others', () => {
    expect(usageFrom(body('openrouter_gpt-5-mini_nonstream_usage-include_cost.json'))?.reported_cost_usd).toBe(
      0.00435825,
    )
    expect(usageFrom(body('openai_gpt-4.1-nano_nonstream.json'))).not.toHaveProperty('reported_cost_usd')
    expect(usageFrom(body('deepseek-reasoner_nonstream_2025-12.json'))).not.toHaveProperty('reported_cost_usd')
  })

  it('finds nothing in error bodies', () => {
    expect(usageFrom(body('deepseek_402_insufficient-balance.json'))).toBeUndefined()
    expect(usageFrom(body('openai_400_unsupported-parameter.json'))).toBeUndefined()
    expect(usageFrom(body('openrouter_429_upstream-rate-limited.json'))).toBeUndefined()
  })
})

describe('usageFrom on synthesized formats', () => {
  it('returns undefined for chunks without usage, usage: null, and empty usage', () => {
    expect(usageFrom({ choices: [] })).toBeUndefined()
    expect(usageFrom({ usage: null })).toBeUndefined()
    expect(usageFrom({ usage: {} })).toBeUndefined()
    expect(usageFrom({ usage: 'n/a' })).toBeUndefined()
  })

  it('reads DeepSeek prompt_cache_hit_tokens even without prompt_tokens_details', () => {
    const u = usageFrom({
      usage: { prompt_tokens: 495, completion_tokens: 10, prompt_cache_hit_tokens: 320, prompt_cache_miss_tokens: 175 },
    })
    expect(u).toEqual({ input_tokens: 495, cached_input_tokens: 320, output_tokens: 10, reasoning_tokens: 0 })
  })

  it('does not add prompt_cache_hit_tokens and cached_tokens together (they duplicate each other)', () => {
    const u = usageFrom({
      usage: {
        prompt_tokens: 495,
        completion_tokens: 10,
        prompt_tokens_details: { cached_tokens: 320 },
        prompt_cache_hit_tokens: 320,
      },
    })
    expect(u?.cached_input_tokens).toBe(320)
  })

  it('reads an OpenAI chat completion with non-zero cached_tokens', () => {
    const u = usageFrom({
      usage: {
        prompt_tokens: 2006,
        completion_tokens: 300,
        total_tokens: 2306,
        prompt_tokens_details: { cached_tokens: 1920, audio_tokens: 0 },
        completion_tokens_details: {
          reasoning_tokens: 0,
          audio_tokens: 0,
          accepted_prediction_tokens: 0,
          rejected_prediction_tokens: 0,
        },
      },
    })
    expect(u).toEqual({ input_tokens: 2006, cached_input_tokens: 1920, output_tokens: 300, reasoning_tokens: 0 })
  })

  it('keeps cached inside input and reasoning inside output (no double counting)', () => {
    const u = usageFrom({
      usage: {
        prompt_tokens: 100,
        completion_tokens: 50,
        total_tokens: 150,
        prompt_tokens_details: { cached_tokens: 64 },
        completion_tokens_details: { reasoning_tokens: 30 },
      },
    })!
    expect(u.input_tokens).toBe(100)
    expect(u.output_tokens).toBe(50)
    expect(u.input_tokens + u.output_tokens).toBe(150)
  })

  it('reads Groq usage from x_groq.usage when the top-level usage is absent', () => {
    const u = usageFrom({
      x_groq: {
        id: 'req_1',
        usage: {
          queue_time: 0.01,
          prompt_tokens: 339,
          prompt_time: 0.02,
          completion_tokens: 58,
          completion_time: 0.1,
          total_tokens: 397,
          total_time: 0.12,
          completion_tokens_details: { reasoning_tokens: 38 },
        },
      },
    })
    expect(u).toEqual({ input_tokens: 339, cached_input_tokens: 0, output_tokens: 58, reasoning_tokens: 38 })
  })

  it('counts Groq usage once when it is both top-level and in x_groq', () => {
    const wire = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }
    expect(usageFrom({ usage: wire, x_groq: { usage: wire } })).toEqual({
      input_tokens: 10,
      cached_input_tokens: 0,
      output_tokens: 5,
      reasoning_tokens: 0,
    })
  })

  it('reads Mistral usage (three counters only)', () => {
    expect(usageFrom({ usage: { prompt_tokens: 12, total_tokens: 40, completion_tokens: 28 } })).toEqual({
      input_tokens: 12,
      cached_input_tokens: 0,
      output_tokens: 28,
      reasoning_tokens: 0,
    })
  })

  it('clamps parts larger than their whole instead of trusting them', () => {
    // Seen on an OpenRouter-routed MiniMax stream: reasoning 11 > completion 10.
    const u = usageFrom({
      usage: {
        prompt_tokens: 5,
        completion_tokens: 10,
        completion_tokens_details: { reasoning_tokens: 11 },
        prompt_tokens_details: { cached_tokens: 9 },
      },
    })
    expect(u?.reasoning_tokens).toBe(10)
    expect(u?.cached_input_tokens).toBe(5)
  })

  it('ignores negative, non-numeric and non-finite counters', () => {
    const u = usageFrom({
      usage: { prompt_tokens: 7, completion_tokens: 3, prompt_tokens_details: { cached_tokens: -1 }, cost: Number.NaN },
    })
    expect(u).toEqual({
      input_tokens: 7,
      cached_input_tokens: 0,
      output_tokens: 3,
      reasoning_tokens: 0,
      notes: ['cached_tokens -1 is negative', 'reported cost rejected: NaN is not finite'],
    })
    // A main counter that is not a number makes the whole usage unknown.
    expect(usageFrom({ usage: { prompt_tokens: 7, completion_tokens: '3' } })).toBeUndefined()
  })

  it('keeps a reported cost of zero as zero (a free model), distinct from no cost', () => {
    expect(usageFrom({ usage: { prompt_tokens: 1, completion_tokens: 1, cost: 0 } })?.reported_cost_usd).toBe(0)
  })
})

describe('incomplete usage', () => {
  it('is no usage at all rather than zero output or input tokens', () => {
    expect(usageFrom({ usage: { prompt_tokens: 12 } })).toBeUndefined()
    expect(usageFrom({ usage: { completion_tokens: 7 } })).toBeUndefined()
  })
})

describe('readUsage: upstream numbers are validated once, where the wire is read', () => {
  const read = (usage: Record<string, unknown>) => readUsage({ usage })

  it('rejects counts that are not safe non-negative whole numbers, saying why', () => {
    expect(read({ prompt_tokens: 1.5, completion_tokens: 2.25 })).toEqual({
      notes: ['prompt_tokens 1.5 is not a whole number', 'completion_tokens 2.25 is not a whole number'],
    })
    expect(read({ prompt_tokens: -5, completion_tokens: 3 })).toEqual({ notes: ['prompt_tokens -5 is negative'] })
    expect(read({ prompt_tokens: '12', completion_tokens: null })).toEqual({
      notes: ['prompt_tokens is not a number ("12")', 'completion_tokens is not a number (null)'],
    })
    // JSON.parse turns 1e400 into Infinity.
    expect(readUsage(JSON.parse('{"usage":{"prompt_tokens":1e400,"completion_tokens":1}}'))).toEqual({
      notes: ['prompt_tokens Infinity is not finite'],
    })
    expect(read({ prompt_tokens: 1, completion_tokens: 2 ** 60 })).toEqual({
      notes: ['completion_tokens 1152921504606847000 is too large'],
    })
    expect(read({ prompt_tokens: 1, completion_tokens: { n: 'x'.repeat(500) } })?.notes[0]).toHaveLength(
      'completion_tokens is not a number ()'.length + 41,
    )
  })

  it('keeps the counts when only a part is bad, and notes the part', () => {
    expect(read({ prompt_tokens: 10, completion_tokens: 4, prompt_tokens_details: { cached_tokens: 2.5 } })).toEqual({
      usage: {
        input_tokens: 10,
        cached_input_tokens: 0,
        output_tokens: 4,
        reasoning_tokens: 0,
        notes: ['cached_tokens 2.5 is not a whole number'],
      },
      notes: ['cached_tokens 2.5 is not a whole number'],
    })
  })

  it('accepts a reported cost up to $10,000 and rejects anything else with a note', () => {
    expect(read({ prompt_tokens: 1, completion_tokens: 1, cost: 10_000 })?.usage?.reported_cost_usd).toBe(10_000)
    const cases: Array<[unknown, string]> = [
      [1e300, 'reported cost rejected: 1e+300 is out of range (over $10,000 per request)'],
      [9e6, 'reported cost rejected: 9000000 is out of range (over $10,000 per request)'],
      [-0.01, 'reported cost rejected: -0.01 is negative'],
      ['0.01', 'reported cost rejected: "0.01" is not a number'],
    ]
    for (const [cost, note] of cases) {
      const u = read({ prompt_tokens: 1, completion_tokens: 1, cost })?.usage
      expect(u).toEqual({
        input_tokens: 1,
        cached_input_tokens: 0,
        output_tokens: 1,
        reasoning_tokens: 0,
        notes: [note],
      })
    }
    // An explicit null is what several providers send for "no cost": nothing to note.
    expect(read({ prompt_tokens: 1, completion_tokens: 1, cost: null })?.notes).toEqual([])
  })
})
