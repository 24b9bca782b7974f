import { describe, expect, it } from 'vitest'
import { EndpointQuirks, deltaText } from '../../src/providers/quirks.ts'
import type { ProviderEntry } from '../../src/providers/types.ts'
import { readFixture } from '../helpers/fake-upstream.ts'

const message = (file: string) => {
  const body = JSON.parse(readFixture(file).toString('utf8')) as {
    choices: Array<{ message: Record<string, unknown>; finish_reason: string }>
  }
  return body.choices[0]!
}

const provider = (baseURL: string): ProviderEntry => ({
  id: 'p',
  name: 'p',
  baseURL,
  pricing: 'p',
  keyStatus: 'config',
  apiKey: 'sk-x',
  models: [{ id: 'm', label: 'm' }],
})

describe('deltaText on recorded non-stream messages', () => {
  it('splits DeepSeek reasoning_content from content', () => {
    const { text, reasoning } = deltaText(message('deepseek-reasoner_nonstream_2025-12.json').message)
    expect(text).toBe(
      'The word "strawberry" contains three instances of the letter "r": one after the "t" and two before the "y".',
    )
    expect(reasoning.startsWith(`We are asked: "How many 'r's are in the word 'strawberry'?"`)).toBe(true)
    expect(reasoning.endsWith('So answer is 3.')).toBe(true)
  })

  it('reads Ollama reasoning from `reasoning`', () => {
    const { text, reasoning } = deltaText(message('ollama_qwen3-0.6b_nonstream_reasoning-field.json').message)
    expect(text).toBe('{ "city": "Paris", "country": "France" }')
    expect(reasoning.startsWith('Okay, the user is asking for the capital of France.')).toBe(true)
  })

  it('reads OpenRouter reasoning from `reasoning` and ignores reasoning_details', () => {
    const m = message('openrouter_gpt-5-mini_nonstream_usage-include_cost.json').message
    const { text, reasoning } = deltaText(m)
    expect(text).toBe(m.content)
    expect(reasoning).toBe(m.reasoning)
    expect(reasoning.startsWith('**Exploring Mars Overview**')).toBe(true)
  })

  it('reads plain answers without reasoning (OpenAI, Groq, DeepSeek chat)', () => {
    for (const file of [
      'openai_gpt-4.1-nano_nonstream.json',
      'openai_o3-mini_nonstream_reasoning-tokens.json',
      'groq_llama-3.3-70b_nonstream.json',
      'deepseek-chat_nonstream_length_2025-12.json',
    ]) {
      const m = message(file).message
      expect(deltaText(m)).toEqual({ text: m.content, reasoning: '' })
    }
    expect(message('openai_o3-mini_nonstream_reasoning-tokens.json').message.content).toBe(
      'Hello there! How can I help you today?',
    )
    expect(message('deepseek-chat_nonstream_length_2025-12.json').finish_reason).toBe('length')
  })
})

describe('deltaText on synthesized deltas', () => {
  it('treats content: null (DeepSeek while reasoning) as no text', () => {
    expect(deltaText({ content: null, reasoning_content: 'think' })).toEqual({ text: '', reasoning: 'think' })
    expect(deltaText({ content: 'answer', reasoning_content: null })).toEqual({ text: 'answer', reasoning: '' })
  })

  it('reads Groq `reasoning` with channel analysis', () => {
    expect(deltaText({ reasoning: ' user', channel: 'analysis' })).toEqual({ text: '', reasoning: ' user' })
  })

  it('reads Mistral array content with thinking parts, never producing [object Object]', () => {
    const delta = {
      role: 'assistant',
      content: [
        {
          type: 'thinking',
          thinking: [
            { type: 'text', text: 'Let me think.' },
            { type: 'text', text: ' Done.' },
          ],
        },
      ],
    }
    expect(deltaText(delta)).toEqual({ text: '', reasoning: 'Let me think. Done.' })
    const mixed = {
      content: [
        { type: 'thinking', thinking: [{ type: 'text', text: 'hmm' }] },
        { type: 'text', text: 'Paris.' },
      ],
    }
    expect(deltaText(mixed)).toEqual({ text: 'Paris.', reasoning: 'hmm' })
  })

  it('ignores unknown part types and odd values', () => {
    expect(deltaText({ content: [{ type: 'image_url', image_url: 'x' }, null, 5, { type: 'text', text: 7 }] })).toEqual(
      { text: '', reasoning: '' },
    )
    expect(deltaText({ content: 42 })).toEqual({ text: '', reasoning: '' })
    expect(deltaText({})).toEqual({ text: '', reasoning: '' })
  })

  it('takes reasoning_content over reasoning when both are sent (no duplicated thought text)', () => {
    expect(deltaText({ reasoning_content: 'a', reasoning: 'a' })).toEqual({ text: '', reasoning: 'a' })
  })
})

describe('EndpointQuirks', () => {
  it('asks for usage with stream_options, and OpenRouter usage accounting', () => {
    const q = new EndpointQuirks()
    expect(q.requestExtras(provider('http://127.0.0.1:1/v1'), 'm', undefined)).toEqual({
      stream_options: { include_usage: true },
    })
    expect(q.requestExtras(provider('https://openrouter.ai/api/v1'), 'm', undefined)).toEqual({
      stream_options: { include_usage: true },
      usage: { include: true },
    })
  })

  it('sends max_completion_tokens to OpenAI reasoning models and max_tokens elsewhere', () => {
    const q = new EndpointQuirks()
    expect(q.requestExtras(provider('https://api.openai.com/v1'), 'o3', 100)).toMatchObject({
      max_completion_tokens: 100,
    })
    expect(q.requestExtras(provider('https://api.openai.com/v1'), 'gpt-5.4-mini', 100)).toMatchObject({
      max_completion_tokens: 100,
    })
    expect(q.requestExtras(provider('https://api.openai.com/v1'), 'gpt-4.1-nano', 100)).toMatchObject({
      max_tokens: 100,
    })
    expect(q.requestExtras(provider('https://api.deepseek.com'), 'deepseek-chat', 100)).toMatchObject({
      max_tokens: 100,
    })
  })

  it('learns from a stream_options rejection, per endpoint', () => {
    const q = new EndpointQuirks()
    const a = provider('http://127.0.0.1:1/v1')
    const b = provider('http://127.0.0.1:2/v1')
    const sent = q.requestExtras(a, 'm', undefined)
    expect(
      q.learnFromRejection(a, 'm', 'HTTP 400: Unrecognized request argument supplied: stream_options', null, sent),
    ).toBe(true)
    const after = q.requestExtras(a, 'm', undefined)
    expect(after).not.toHaveProperty('stream_options')
    expect(q.requestExtras(b, 'm', undefined)).toHaveProperty('stream_options')
    // Learned once: the same rejection of a request without the field is not a reason for another retry.
    expect(
      q.learnFromRejection(a, 'm', 'HTTP 400: Unrecognized request argument supplied: stream_options', null, after),
    ).toBe(false)
  })

  it('learns max_completion_tokens from the recorded OpenAI 400, per model', () => {
    const q = new EndpointQuirks()
    const p = provider('http://127.0.0.1:1/v1')
    const err = JSON.parse(readFixture('openai_400_unsupported-parameter.json').toString('utf8')).error
    expect(q.learnFromRejection(p, 'reasoner', err.message, err.param, q.requestExtras(p, 'reasoner', 50))).toBe(true)
    expect(q.requestExtras(p, 'reasoner', 50)).toMatchObject({ max_completion_tokens: 50 })
    expect(q.requestExtras(p, 'reasoner', 50)).not.toHaveProperty('max_tokens')
    expect(q.requestExtras(p, 'other', 50)).toMatchObject({ max_tokens: 50 })
  })

  it('learns nothing about a field that was not sent (no pointless identical retry)', () => {
    const q = new EndpointQuirks()
    const p = provider('http://127.0.0.1:1/v1')
    const err = JSON.parse(readFixture('openai_400_unsupported-parameter.json').toString('utf8')).error
    expect(q.learnFromRejection(p, 'reasoner', err.message, err.param, q.requestExtras(p, 'reasoner', undefined))).toBe(
      false,
    )
    expect(q.learnFromRejection(p, 'm', 'HTTP 400: stream_options is not supported', null, {})).toBe(false)
  })

  it('does not treat unrelated 400s as learnable', () => {
    const q = new EndpointQuirks()
    const p = provider('http://127.0.0.1:1/v1')
    expect(
      q.learnFromRejection(p, 'm', 'HTTP 400: messages must not be empty', 'messages', q.requestExtras(p, 'm', 10)),
    ).toBe(false)
  })
})
