import { describe, expect, it } from 'vitest'
import { modelLines, parseModelLines, readProviderForm } from '../../src/settings/provider-form.ts'
import { validateCustomProvider } from '../../src/settings/custom-providers.ts'

describe('the provider form', () => {
  it('reads one model per line, with optional prices in USD per 1M tokens', () => {
    const { models, issues } = parseModelLines('gpt-x\n\n  big 1.25 10 0.125\r\ncheap, 0.1, $0.4\n')
    expect(issues).toEqual([])
    expect(models).toEqual([
      'gpt-x',
      { id: 'big', price: { input: 1.25, output: 10, cached_input: 0.125 } },
      { id: 'cheap', price: { input: 0.1, output: 0.4 } },
    ])
    expect(modelLines(models)).toBe('gpt-x\nbig 1.25 10 0.125\ncheap 0.1 0.4')
  })

  it('names the line of a malformed model', () => {
    expect(parseModelLines('ok\nbad 1').issues).toEqual([
      { path: 'models line 2', message: expect.stringContaining('model-id input output') },
    ])
    expect(parseModelLines('bad one two').issues).toHaveLength(1)
  })

  it('builds the config-file shape and never carries a key into it', () => {
    const f = readProviderForm({
      id: ' mine ',
      name: '',
      base_url: ' http://127.0.0.1:8080/v1 ',
      models: 'a',
      model: ['b', 'a'],
      no_key: 'on',
      api_key: ' k ',
      pricing: 'openai',
    })
    expect(f.id).toBe('mine')
    expect(f.apiKey).toBe('k')
    expect(f.raw).toEqual({
      base_url: 'http://127.0.0.1:8080/v1',
      requires_key: false,
      pricing: 'openai',
      models: ['a', 'b'],
    })
    expect(validateCustomProvider(f.id, f.raw).ok).toBe(true)
  })

  it('refuses what only the config file may declare', () => {
    const builtin = validateCustomProvider('x', { builtin: 'demo', models: ['a'] })
    expect(builtin.ok).toBe(false)
    const keyed = validateCustomProvider('x', { base_url: 'http://127.0.0.1/v1', api_key: 'sk-abc', models: ['a'] })
    expect(!keyed.ok && keyed.issues.map((i) => i.path)).toContain('api_key')
  })
})
