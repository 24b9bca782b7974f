import { describe, expect, it } from 'vitest'
import { RunRegistry, type LiveRun } from '../../src/web/run-registry.ts'

const run = (id: string, imageBytes: number, done = true): LiveRun =>
  ({
    request: { run_id: id, created_at: new Date(0), targets: [], params: {} },
    meta: {
      prompt: id,
      system: null,
      parent_id: null,
      images: imageBytes ? [{ mime: 'image/png', data: Buffer.alloc(imageBytes), sha256: id }] : [],
    },
    controller: new AbortController(),
    results: [],
    retries: new Map(),
    done,
    turn: 1,
  }) as LiveRun

describe('the run registry', () => {
  it('lets finished runs go, oldest first, once their images pass the budget', () => {
    const registry = new RunRegistry(200, 100)
    registry.add(run('a', 40))
    registry.add(run('b', 40))
    registry.add(run('c', 40))
    expect([registry.get('a'), registry.get('b'), registry.get('c')].map(Boolean)).toEqual([false, true, true])
  })

  it('keeps a running run whatever it holds, and still bounds the count', () => {
    const registry = new RunRegistry(2, 100)
    registry.add(run('live', 90, false))
    registry.add(run('big', 90))
    expect(registry.get('live')).toBeDefined()
    expect(registry.get('big')).toBeDefined()
    registry.add(run('next', 0))
    expect(registry.get('live')).toBeDefined()
    expect(registry.get('big')).toBeUndefined()
    expect(registry.get('next')).toBeDefined()
  })
})
