import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base'
import { startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { collectSSE } from '../helpers/sse.ts'
import type { TargetResult } from '../../src/domain/types.ts'

// The built-in demo provider, reached through the real SDK like any upstream (in-process, no socket of its own).

const CONFIG = `
run:
  max_retries: 0
providers:
  demo:
    builtin: demo
    models:
      - id: fast
        simulate: { ttft_ms: 0, tokens_per_s: 100000 }
      - id: thinker
        simulate: { ttft_ms: 0, tokens_per_s: 100000, reasoning_tokens: 60 }
`

let juxta: RunningJuxta

beforeAll(async () => {
  juxta = await startJuxta({ config: CONFIG })
})

afterAll(async () => {
  await juxta?.close()
})

interface Streamed {
  result: TargetResult
  text: string[]
  reasoning: string[]
}

async function streamed(prompt: string, target: string, extra: Record<string, unknown> = {}): Promise<Streamed> {
  const res = await fetch(`${juxta.url}/api/compare`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt, targets: [target], stream: true, ...extra }),
  })
  const frames = await collectSSE(res)
  const deltas = frames
    .filter((f) => f.event === 'delta')
    .map((f) => JSON.parse(f.data) as { kind: string; text: string })
  const done = frames.at(-1)
  expect(done?.event).toBe('done')
  return {
    result: JSON.parse(done!.data).results[0],
    text: deltas.filter((d) => d.kind === 'text').map((d) => d.text),
    reasoning: deltas.filter((d) => d.kind === 'reasoning').map((d) => d.text),
  }
}

/** What the simulator promises: each streamed piece counts at least one token. */
const tokensOf = (pieces: string[]) => pieces.reduce((n, p) => n + Math.max(1, countTokens(p)), 0)

describe('demo provider through the SDK path', () => {
  it('answers the same prompt with the same text, and another prompt differently', async () => {
    const a = await streamed('What makes a good benchmark?', 'demo/fast')
    const b = await streamed('What makes a good benchmark?', 'demo/fast')
    const c = await streamed('Why is the sky blue?', 'demo/fast')
    expect(a.result.status).toBe('ok')
    expect(a.result.text.length).toBeGreaterThan(100)
    expect(b.result.text).toBe(a.result.text)
    expect(c.result.text).not.toBe(a.result.text)
    expect(a.result.text).toContain('What makes a good benchmark?')
    expect(a.result.model).toBe('fast')
    expect(a.result.finish_reason).toBe('stop')
  })

  it('reports honest usage: output tokens equal the tokens actually streamed', async () => {
    const { result, text, reasoning } = await streamed('Count my tokens honestly.', 'demo/fast')
    expect(result.usage.source).toBe('reported')
    expect(reasoning).toEqual([])
    expect(text.join('')).toBe(result.text)
    expect(result.usage.output_tokens).toBe(tokensOf(text))
    expect(result.usage.reasoning_tokens).toBe(0)
    expect(result.usage.input_tokens).toBeGreaterThan(0)
  })

  it('thinker streams a reasoning phase first, counted inside output tokens', async () => {
    const { result, text, reasoning } = await streamed('Think first, then answer.', 'demo/thinker')
    expect(result.status).toBe('ok')
    expect(reasoning.length).toBeGreaterThan(0)
    expect(result.reasoning).toBe(reasoning.join(''))
    expect(result.usage.reasoning_tokens).toBe(tokensOf(reasoning))
    expect(result.usage.output_tokens).toBe(tokensOf(reasoning) + tokensOf(text))
    expect(result.timing.ttft_ms).not.toBeNull()
    expect(result.timing.first_answer_ms!).toBeGreaterThanOrEqual(result.timing.ttft_ms!)
  })

  it('stops at max_tokens with finish_reason length, never over budget', async () => {
    const full = await streamed('Give me a long answer.', 'demo/fast')
    const cut = await streamed('Give me a long answer.', 'demo/fast', { max_tokens: 12 })
    expect(cut.result.finish_reason).toBe('length')
    expect(cut.result.usage.output_tokens).toBeLessThanOrEqual(12)
    expect(cut.result.usage.output_tokens).toBe(tokensOf(cut.text))
    expect(full.result.text.startsWith(cut.result.text)).toBe(true)
    expect(cut.result.text.length).toBeLessThan(full.result.text.length)
  })

  it('needs no key and shows as not_needed', async () => {
    const targets = (await (await fetch(`${juxta.url}/api/targets`)).json()) as Array<{
      target: string
      key_status: string
    }>
    expect(targets.filter((t) => t.target.startsWith('demo/')).map((t) => t.key_status)).toEqual([
      'not_needed',
      'not_needed',
    ])
  })
})
