import { describe, expect, it } from 'vitest'
import { loadConfigFile } from '../../src/config/load.ts'
import { createContext } from '../../src/context.ts'
import { buildRequest, executeRun } from '../../src/engine/run-service.ts'

describe('the demo provider', () => {
  it('ends a cancelled run promptly, keeping the text streamed so far', async () => {
    const ctx = createContext(loadConfigFile('config/default.yaml', {}), { log: () => {} })
    const request = buildRequest({ prompt: 'Cancel me half way', targets: ['demo/steady'], params: {} })
    const controller = new AbortController()
    let abortedAt = 0
    // Cancel once the first words arrived: steady streams ~150 tokens at 70 tokens/s, so most are still to come.
    const onEvent = (e: { type: string }) => {
      if (e.type === 'delta' && !abortedAt) {
        abortedAt = performance.now()
        setTimeout(() => controller.abort(), 100)
      }
    }
    const run = await executeRun(
      ctx,
      request,
      { prompt: 'Cancel me half way', system: null, parent_id: null },
      { signal: controller.signal, onEvent },
    )
    const result = run.results[0]!
    expect(result.status).toBe('cancelled')
    expect(result.error?.kind).toBe('cancelled')
    expect(result.text.length).toBeGreaterThan(0)
    expect(result.text).not.toContain('Add an API key in Settings')
    // Well under the ~2 s the rest of the answer takes: the body ended instead of hanging.
    expect(performance.now() - abortedAt).toBeLessThan(1500)
  })
})
