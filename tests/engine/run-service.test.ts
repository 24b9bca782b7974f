import { describe, expect, it } from 'vitest'
import { newRunId } from '../../src/engine/run-service.ts'

describe('newRunId', () => {
  it('is time first (sortable), then 12 hex digits of randomness, never repeated across pool refills', () => {
    const now = Date.parse('2026-12-01T12:00:00Z')
    const ids = Array.from({ length: 3000 }, () => newRunId(now))
    const prefix = now.toString(36).padStart(9, '0')
    for (const id of ids) expect(id).toMatch(new RegExp(`^${prefix}[0-9a-f]{12}$`))
    expect(new Set(ids).size).toBe(ids.length)
    expect(newRunId(now) < newRunId(now + 1)).toBe(true)
  })
})
