import { describe, expect, it } from 'vitest'
import {
  checkExpected,
  EXPECTED_KINDS,
  type ExpectedCheck,
  formatExpected,
  MAX_PATTERN_LENGTH,
  MAX_REGEX_INPUT,
  parseExpected,
} from '../../src/studies/expected.ts'

function parsed(spec: string): ExpectedCheck {
  const result = parseExpected(spec)
  if (!result.ok) throw new Error(`expected ${spec} to parse: ${result.message}`)
  return result.check
}

const run = (spec: string, answer: string) => checkExpected(parsed(spec), answer)

function refusal(spec: string): string {
  const result = parseExpected(spec)
  if (result.ok) throw new Error(`expected ${spec} to be refused`)
  return result.message
}

describe('parseExpected', () => {
  it('parses every kind, trimming the text and reading the kind in any case', () => {
    expect(parsed('contains:Paris')).toEqual({ kind: 'contains', text: 'Paris' })
    expect(parsed('  contains:  Paris ')).toEqual({ kind: 'contains', text: 'Paris' })
    expect(parsed('Contains:a:b')).toEqual({ kind: 'contains', text: 'a:b' })
    expect(parsed('icontains:paris')).toEqual({ kind: 'icontains', text: 'paris' })
    expect(parsed('equals: 42 ')).toEqual({ kind: 'equals', text: '42' })
    expect(parsed('regex:^\\d+$')).toEqual({ kind: 'regex', pattern: '^\\d+$', flags: '' })
    expect(parsed('regex:/^yes$/im')).toEqual({ kind: 'regex', pattern: '^yes$', flags: 'im' })
    expect(parsed('regex:/a/b/')).toEqual({ kind: 'regex', pattern: 'a/b', flags: '' })
    expect(parsed('json')).toEqual({ kind: 'json' })
    expect(parsed('JSON:')).toEqual({ kind: 'json' })
  })

  it('refuses what it cannot check, saying why', () => {
    expect(refusal('')).toMatch(/empty check/)
    expect(refusal('Paris')).toMatch(/unknown check "Paris": use contains:, icontains:, equals:, regex: or json/)
    expect(refusal('startswith:x')).toMatch(/unknown check "startswith:"/)
    expect(refusal('contains:')).toMatch(/contains: needs a text/)
    expect(refusal('contains')).toMatch(/contains: needs a text/)
    expect(refusal('equals:   ')).toMatch(/equals: needs a text/)
    expect(refusal('regex:')).toMatch(/needs a pattern/)
    expect(refusal('json:{}')).toMatch(/json takes nothing/)
    expect(refusal('regex:(unclosed')).toMatch(/^invalid regex "\(unclosed": .+/)
    expect(refusal('regex:/a/g')).toMatch(/flags "g" not allowed/)
    expect(refusal('regex:/usr/bin')).toMatch(/flags "bin" not allowed/)
    expect(refusal(`regex:${'a'.repeat(MAX_PATTERN_LENGTH + 1)}`)).toMatch(/at most 1000/)
    expect(refusal(`contains:${'a'.repeat(20_000)}`)).toMatch(/at most 10000/)
  })

  it('formats a check back to its canonical spec', () => {
    for (const spec of ['contains:Paris', 'icontains:x y', 'equals:42', 'regex:^a', 'regex:/^a$/i', 'json']) {
      expect(formatExpected(parsed(spec))).toBe(spec)
      expect(parsed(formatExpected(parsed(spec)))).toEqual(parsed(spec))
    }
  })

  it('documents every kind it accepts', () => {
    expect(EXPECTED_KINDS.map((k) => k.kind).sort()).toEqual(['contains', 'equals', 'icontains', 'json', 'regex'])
    for (const k of EXPECTED_KINDS) {
      expect(k.doc.length).toBeGreaterThan(10)
      expect(parseExpected(k.syntax.split(' ')[0]!.replace('TEXT', 'x').replace('PATTERN', 'x')).ok).toBe(true)
    }
  })
})

describe('checkExpected', () => {
  it('contains is case-sensitive, icontains is not', () => {
    expect(run('contains:Paris', 'The capital is Paris.')).toEqual({ pass: true })
    expect(run('contains:Paris', 'the capital is paris.')).toEqual({
      pass: false,
      reason: 'does not contain "Paris"',
    })
    expect(run('icontains:PARIS', 'the capital is paris.')).toEqual({ pass: true })
    expect(run('icontains:Ärger', 'kein ärger')).toEqual({ pass: true })
    expect(run('icontains:x', 'nothing').reason).toBe('does not contain "x" (ignoring case)')
  })

  it('compares in Unicode NFC, so composed and decomposed accents match', () => {
    expect(run('contains:caf\u00e9', 'un cafe\u0301 noir').pass).toBe(true)
    expect(run('equals:cafe\u0301', ' caf\u00e9\n').pass).toBe(true)
  })

  it('equals ignores whitespace around the answer only', () => {
    expect(run('equals:42', '  42\n')).toEqual({ pass: true })
    expect(run('equals:42', '42.')).toEqual({ pass: false, reason: 'is not "42"' })
    expect(run('equals:a b', 'a  b').pass).toBe(false)
    expect(run('equals:Yes', 'yes').pass).toBe(false)
  })

  it('regex matches anywhere, with its flags', () => {
    expect(run('regex:\\b\\d{4}\\b', 'In 1789 it began.')).toEqual({ pass: true })
    expect(run('regex:^yes$', 'no\nyes')).toEqual({ pass: false, reason: 'no match for /^yes$/' })
    expect(run('regex:/^yes$/m', 'no\nyes').pass).toBe(true)
    expect(run('regex:/^YES$/im', 'no\nyes').pass).toBe(true)
    expect(run('regex:/a.b/s', 'a\nb').pass).toBe(true)
    expect(run('regex:/\\p{L}+/u', '日本').pass).toBe(true)
  })

  it('fails a catastrophic regex on time, with a reason, and keeps working after', () => {
    const evil = parsed('regex:(a+)+$')
    const result = checkExpected(evil, `${'a'.repeat(40)}b`, { regexTimeoutMs: 50 })
    expect(result.pass).toBe(false)
    expect(result.reason).toMatch(/regex took over 50 ms .*counted as failed/)
    expect(checkExpected(evil, 'aaa')).toEqual({ pass: true })
    expect(run('regex:b$', `${'a'.repeat(40)}b`)).toEqual({ pass: true })
  })

  it('fails a regex check on an answer too long to match, saying so', () => {
    const result = run('regex:x', 'x'.repeat(MAX_REGEX_INPUT + 1))
    expect(result.pass).toBe(false)
    expect(result.reason).toMatch(/too long for a regex check/)
  })

  it('json accepts valid JSON alone or in one fenced block', () => {
    expect(run('json', '{"a": [1, 2]}')).toEqual({ pass: true })
    expect(run('json', '  [1, 2, 3]\n')).toEqual({ pass: true })
    expect(run('json', '```json\n{"a": 1}\n```')).toEqual({ pass: true })
    expect(run('json', '\n```\n{"a": 1}\n```\n')).toEqual({ pass: true })
    expect(run('json', '42')).toEqual({ pass: true })
    const prose = run('json', 'Here it is: {"a": 1}')
    expect(prose.pass).toBe(false)
    expect(prose.reason).toMatch(/^not valid JSON: /)
    expect(run('json', '```json\n{"a": 1,}\n```').pass).toBe(false)
    expect(run('json', '```json\n{"a": 1}\n```\nand\n```json\n{"b": 2}\n```').pass).toBe(false)
    expect(run('json', '').pass).toBe(false)
  })
})
