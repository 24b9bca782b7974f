import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { discoverLocalServers, localCandidates, OLLAMA_ORIGIN } from '../../src/settings/discovery.ts'
import { createGuardedFetch } from '../../src/security/guarded-fetch.ts'
import type { ProviderEntry } from '../../src/providers/types.ts'

let ollama: Server
let origin: string

beforeAll(async () => {
  // Ollama's native listing only; its OpenAI-compatible /v1/models answers 404 here to force the fallback.
  ollama = createServer((req, res) => {
    if (req.url === '/api/tags') {
      res.writeHead(200, { 'content-type': 'application/json' })
      return res.end(
        JSON.stringify({
          models: [{ name: 'llama3.2:latest' }, { name: 'qwen3:0.6b' }, { model: 'nomic-embed-text' }, { name: 42 }],
        }),
      )
    }
    res.writeHead(404, { 'content-type': 'application/json' })
    res.end('{"error":"not found"}')
  })
  const port = await new Promise<number>((resolve) =>
    ollama.listen(0, '127.0.0.1', () => resolve((ollama.address() as AddressInfo).port)),
  )
  origin = `http://127.0.0.1:${port}`
})

afterAll(async () => {
  ollama.closeAllConnections()
  await new Promise<void>((resolve) => ollama.close(() => resolve()))
})

const provider = (id: string, baseURL: string, extra: Partial<ProviderEntry> = {}): ProviderEntry => ({
  id,
  name: id,
  baseURL,
  pricing: id,
  keyStatus: 'not_needed',
  models: [],
  ...extra,
})

describe('local discovery', () => {
  it('asks Ollama by default and every configured provider on this machine or network, nothing public', () => {
    const candidates = localCandidates([
      provider('demo', 'http://demo.juxta.internal/demo/v1', { builtin: 'demo' }),
      provider('openai', 'https://api.openai.com/v1'),
      provider('vllm', 'http://192.168.1.9:8000/v1'),
      provider('llamacpp', 'http://localhost:8080/v1'),
    ])
    expect(candidates.map((c) => c.baseURL)).toEqual([
      'http://192.168.1.9:8000/v1',
      'http://localhost:8080/v1',
      `${OLLAMA_ORIGIN}/v1`,
    ])
    expect(candidates.at(-1)!.ollama).toBe(true)
  })

  it('uses the configured Ollama provider instead of adding the default address twice', () => {
    const candidates = localCandidates([provider('ollama', `${OLLAMA_ORIGIN}/v1`)])
    expect(candidates).toEqual([
      { baseURL: `${OLLAMA_ORIGIN}/v1`, providerId: 'ollama', apiKey: undefined, ollama: true },
    ])
  })

  it("reads Ollama's /api/tags when /v1/models is missing, and skips servers that do not answer", async () => {
    const servers = await discoverLocalServers(
      [
        { baseURL: `${origin}/v1`, ollama: true },
        { baseURL: `${origin}/other/v1`, providerId: 'x', ollama: false },
      ],
      createGuardedFetch(),
      2000,
    )
    expect(servers).toEqual([
      { baseURL: `${origin}/v1`, providerId: undefined, models: ['llama3.2:latest', 'qwen3:0.6b', 'nomic-embed-text'] },
    ])
  })
})
