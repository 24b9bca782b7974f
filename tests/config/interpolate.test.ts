import { describe, expect, it } from 'vitest'
import { interpolateEnv } from '../../src/config/interpolate.ts'

describe('interpolateEnv', () => {
  it('substitutes variables anywhere in strings, in nested maps and lists', () => {
    const r = interpolateEnv(
      { a: 'x-${A}-y', list: ['${B}', 3, true, null], deep: { c: '${A}${B}' } },
      { A: '1', B: '2' },
    )
    expect(r.value).toEqual({ a: 'x-1-y', list: ['2', 3, true, null], deep: { c: '12' } })
    expect(r.missing).toEqual([])
    expect(r.fromEnv).toEqual([['a'], ['list', 0], ['deep', 'c']])
  })

  it('uses the default after :- when unset or empty, and an empty default too', () => {
    const r = interpolateEnv({ a: '${A:-one}', b: '${B:-two}', c: 'p${C:-}q' }, { B: '' })
    expect(r.value).toEqual({ a: 'one', b: 'two', c: 'pq' })
    expect(r.missing).toEqual([])
    expect(r.fromEnv).toEqual([])
  })

  it('drops a field that uses an unset variable, and records where it was used', () => {
    const r = interpolateEnv({ p: { api_key: '${KEY}', url: '${HOST}/v1' } }, {})
    expect(r.value).toEqual({ p: {} })
    expect(r.missing).toEqual([
      { path: ['p', 'api_key'], name: 'KEY' },
      { path: ['p', 'url'], name: 'HOST' },
    ])
  })

  it('leaves text that only looks like a variable alone', () => {
    const r = interpolateEnv({ a: '$HOME and ${1BAD} and ${', b: 'cost: $5' }, { HOME: '/root' })
    expect(r.value).toEqual({ a: '$HOME and ${1BAD} and ${', b: 'cost: $5' })
  })

  it('does not interpolate twice (a value containing ${X} stays as it is)', () => {
    const r = interpolateEnv({ a: '${A}' }, { A: '${B}', B: 'nope' })
    expect(r.value).toEqual({ a: '${B}' })
  })
})

describe('a value with an unset variable inside', () => {
  it('is absent as a whole, never a truncated string', () => {
    const out = interpolateEnv({ api_key: 'sk-${UNSET_PART}', name: 'x-${UNSET_PART:-fine}' }, {})
    expect(out.value).toEqual({ name: 'x-fine' })
    expect(out.missing.map((m) => m.name)).toEqual(['UNSET_PART'])
  })
})
