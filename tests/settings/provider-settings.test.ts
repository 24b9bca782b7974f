import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { validateConfig } from '../../src/config/load.ts'
import { createContext } from '../../src/context.ts'
import { KeyStore } from '../../src/keys/key-store.ts'
import { ProviderSettings } from '../../src/settings/provider-settings.ts'

const KEY = 'sk-settings-rule-0123456789abcdefXYZ'
const dir = mkdtempSync(join(tmpdir(), 'juxta-settings-rules-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function rules(options: { keys?: KeyStore; env?: Record<string, string> } = {}) {
  const config = validateConfig(
    {
      providers: {
        demo: { builtin: 'demo', models: ['fast'] },
        deepseek: { base_url: 'https://api.deepseek.com', api_key: '${DEEPSEEK_API_KEY}', models: ['deepseek-flash'] },
        local: { base_url: 'http://127.0.0.1:11434/v1', requires_key: false, models: ['llama3.2'] },
      },
    },
    'test config',
    options.env ?? {},
  )
  const ctx = createContext(config, { keys: options.keys, log: () => {} })
  return { ctx, rules: new ProviderSettings(ctx) }
}

describe('ProviderSettings', async () => {
  it('lets a key from the environment win over a stored one, and says so', async () => {
    const keys = KeyStore.inMemory()
    await keys.set('deepseek', 'https://api.deepseek.com', KEY)
    const { ctx, rules: r } = rules({ keys, env: { DEEPSEEK_API_KEY: `${KEY}-env` } })
    const p = ctx.catalog().provider('deepseek')!
    expect(p.keyStatus).toBe('env')
    expect(r.keyView(p)).toEqual({
      note: 'A stored key exists, but the key from the environment takes precedence.',
      canStoreKey: false,
      hasStoredKey: true,
    })
    const refused = await r.storeKey('deepseek', KEY)
    expect(refused).toMatchObject({ ok: false, status: 409 })
  })

  it('refuses keys where none can go, and never quotes a bad key back', async () => {
    const { rules: r } = rules()
    expect(r.keyRefusal('nope')).toMatchObject({ status: 404 })
    expect(r.keyRefusal('demo')).toMatchObject({ status: 409, issues: [{ message: 'this provider needs no key' }] })
    expect(r.keyRefusal('local')).toMatchObject({ status: 409 })
    expect(r.keyRefusal('deepseek')).toBeNull()
    const bad = await r.storeKey('deepseek', 'has a space in it')
    expect(bad.ok).toBe(false)
    expect(JSON.stringify(bad)).not.toContain('has a space')
    expect(await r.storeKey('deepseek', KEY)).toEqual({ ok: true, notice: 'Key saved.' })
  })

  it('undoes an added provider when its key cannot be written', async () => {
    // The provider file is in memory; the key file's folder does not exist, so only the key write fails.
    const keys = KeyStore.open(join(dir, 'missing', 'keys.json'))
    const { ctx, rules: r } = rules({ keys })
    const outcome = await r.addProvider({
      id: 'mine',
      base_url: 'https://llm.example.com/v1',
      models: 'm1',
      api_key: KEY,
    })
    expect(outcome).toMatchObject({ ok: false, status: 500 })
    expect(ctx.customProviders.has('mine')).toBe(false)
    expect(ctx.catalog().provider('mine')).toBeUndefined()
  })

  it('says one thing per field: no second base_url line, no "empty models" for unreadable lines', async () => {
    const { rules: r } = rules()
    const outcome = await r.addProvider({ id: 'Bad Id!', base_url: 'ftp://x', models: 'm1 abc' })
    expect(outcome.ok).toBe(false)
    const issues = outcome.ok ? [] : outcome.issues
    expect(issues.map((i) => i.path)).toEqual(['models line 1', 'id', 'base_url'])
    const empty = await r.addProvider({ id: 'fine', base_url: 'https://llm.example.com/v1', models: '' })
    expect(empty.ok ? [] : empty.issues).toEqual([{ path: 'models', message: 'list at least one model' }])
  })

  it('suggests a free id for a discovered server', async () => {
    const { ctx, rules: r } = rules()
    expect(r.suggestId({ baseURL: 'http://127.0.0.1:11434/v1', models: [] })).toBe('ollama-local')
    await ctx.customProviders.put('ollama-local', {
      base_url: 'http://127.0.0.1:11434/v1',
      requires_key: false,
      models: ['x'],
    })
    ctx.reconfigure()
    expect(r.suggestId({ baseURL: 'http://127.0.0.1:11434/v1', models: [] })).toBe('ollama-local-2')
    expect(r.suggestId({ baseURL: 'http://127.0.0.1:1234/v1', models: [], providerId: 'local' })).toBe('local-local')
  })
})
