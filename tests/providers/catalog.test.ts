import { describe, expect, it } from 'vitest'
import { Catalog, splitTarget } from '../../src/providers/catalog.ts'
import { parseConfigText } from '../../src/config/load.ts'

const YAML = `
providers:
  from-env:
    base_url: https://env.example/v1
    api_key: \${ENV_KEY}
    models: [m]
  literal:
    base_url: https://literal.example/v1
    api_key: sk-literal-123456
    models: [m]
  unset:
    base_url: https://unset.example/v1
    api_key: \${UNSET_KEY}
    models: [m]
  stored:
    base_url: https://stored.example/v1
    models: [m]
  local:
    base_url: http://127.0.0.1:11434/v1
    requires_key: false
    models: [llama3.2, "qwen3:0.6b"]
  router:
    base_url: https://openrouter.ai/api/v1
    api_key: sk-or-v1-abc
    models: [deepseek/deepseek-r1, {id: openai/gpt-5-mini, label: GPT-5 mini}]
  demo:
    builtin: demo
    models: [fast]
`

function catalog(env: Record<string, string> = { ENV_KEY: 'sk-env-abcdef' }) {
  const loaded = parseConfigText(YAML, 't', env)
  return new Catalog(loaded.config, {
    demoBaseURL: 'http://demo.juxta.internal/demo/v1',
    keySources: loaded.keySources,
    storedKeys: {
      get: (id, baseURL) =>
        id === 'stored' && baseURL === 'https://stored.example/v1' ? 'sk-stored-999999' : undefined,
    },
  })
}

describe('Catalog', () => {
  it('resolves each key status: env, config, missing, stored, not_needed', () => {
    const c = catalog()
    expect(Object.fromEntries(c.providers.map((p) => [p.id, p.keyStatus]))).toEqual({
      'from-env': 'env',
      literal: 'config',
      unset: 'missing',
      stored: 'stored',
      local: 'not_needed',
      router: 'config',
      demo: 'not_needed',
    })
    expect(c.provider('from-env')?.apiKey).toBe('sk-env-abcdef')
    expect(c.provider('stored')?.apiKey).toBe('sk-stored-999999')
    expect(c.provider('unset')?.apiKey).toBeUndefined()
    expect(c.provider('local')?.apiKey).toBeUndefined()
  })

  it('points the demo provider at the in-process simulator', () => {
    expect(catalog().provider('demo')?.baseURL).toBe('http://demo.juxta.internal/demo/v1')
  })

  it('names targets provider/model, model ids with "/" and ":" included', () => {
    const c = catalog()
    const targets = c.targets().map((t) => t.target)
    expect(targets).toContain('router/deepseek/deepseek-r1')
    expect(targets).toContain('local/qwen3:0.6b')
    const entry = c.find('router/openai/gpt-5-mini')
    expect(entry?.provider.id).toBe('router')
    expect(entry?.model).toMatchObject({ id: 'openai/gpt-5-mini', label: 'GPT-5 mini' })
    expect(c.find('router/nope')).toBeUndefined()
    expect(c.find('router')).toBeUndefined()
  })

  it('splits a target at its first "/"', () => {
    expect(splitTarget('router/deepseek/deepseek-r1')).toEqual({ provider: 'router', model: 'deepseek/deepseek-r1' })
    expect(splitTarget('demo/fast')).toEqual({ provider: 'demo', model: 'fast' })
    expect(splitTarget('/x')).toBeUndefined()
    expect(splitTarget('x/')).toBeUndefined()
    expect(splitTarget('x')).toBeUndefined()
  })
})
