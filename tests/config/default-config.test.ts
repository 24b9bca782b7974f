import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfigFile } from '../../src/config/load.ts'
import { Catalog } from '../../src/providers/catalog.ts'

const DEFAULT = resolve(import.meta.dirname, '../../config/default.yaml')

describe('the shipped config/default.yaml', () => {
  it('validates with an empty environment; every keyed provider then needs a key', () => {
    const loaded = loadConfigFile(DEFAULT, {})
    const catalog = new Catalog(loaded.config, {
      demoBaseURL: 'http://demo.test/demo/v1',
      keySources: loaded.keySources,
    })
    const status = Object.fromEntries(catalog.providers.map((p) => [p.id, p.keyStatus]))
    expect(status.demo).toBe('not_needed')
    expect(status.openai).toBe('missing')
    expect(status.deepseek).toBe('missing')
    expect(status.ollama).toBe('not_needed')
    expect(Object.values(status).every((s) => s === 'missing' || s === 'not_needed')).toBe(true)
    expect(catalog.targets().map((t) => t.target)).toContain('demo/fast')
  })

  it('takes keys from the environment and reports them as env', () => {
    const loaded = loadConfigFile(DEFAULT, {
      OPENAI_API_KEY: 'sk-test-from-env-123456',
      DEEPSEEK_API_KEY: 'sk-ds-abcdef123456',
    })
    const catalog = new Catalog(loaded.config, {
      demoBaseURL: 'http://demo.test/demo/v1',
      keySources: loaded.keySources,
    })
    expect(catalog.provider('openai')?.keyStatus).toBe('env')
    expect(catalog.provider('openai')?.apiKey).toBe('sk-test-from-env-123456')
    expect(catalog.provider('deepseek')?.keyStatus).toBe('env')
    expect(catalog.provider('mistral')?.keyStatus).toBe('missing')
  })

  it('has unique targets, each demo model with a price and a simulation', () => {
    const loaded = loadConfigFile(DEFAULT, {})
    const catalog = new Catalog(loaded.config, { demoBaseURL: 'http://demo.test/demo/v1', keySources: {} })
    const targets = catalog.targets().map((t) => t.target)
    expect(new Set(targets).size).toBe(targets.length)
    const demo = catalog.provider('demo')!
    expect(demo.models.length).toBeGreaterThan(0)
    for (const m of demo.models) {
      expect(m.price).toBeDefined()
      expect(m.simulate).toBeDefined()
    }
  })
})
