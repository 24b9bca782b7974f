import { describe, expect, it } from 'vitest'
import { deltaTemplate, readWithTemplate } from '../../src/providers/delta-template.ts'

// A chunk read from its stream's template must be exactly what JSON.parse reads from it; checked over many
// generated chunks, valid and broken.

type Json = Record<string, unknown>

function rng(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

const PIECES = [
  'tok ',
  '',
  'é',
  '😀',
  '\n',
  '"',
  '\\',
  '\\"',
  '"content":"x"',
  '\u0000',
  '\u001f',
  '\u2028',
  '\ud800',
  '}',
  '],"x":1}',
  ' the',
  'content',
  '\t',
]

function text(r: () => number): string {
  let out = ''
  const n = Math.floor(r() * 4)
  for (let i = 0; i < n; i++) out += PIECES[Math.floor(r() * PIECES.length)]
  return out
}

/** An envelope as servers send them, with a few hostile variations. */
function chunk(content: string, variant: number): string {
  const body: Json = {
    id: variant % 5 === 0 ? 'chatcmpl-"x"' : 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: variant % 7 === 0 ? 'm\\"content\\":1' : 'm',
    choices: [{ index: 0, delta: { content }, finish_reason: variant % 3 === 0 ? 'stop' : null }],
  }
  if (variant % 11 === 0) (body.choices as Json[]).push({ index: 1, delta: { content: 'other' } })
  let json = JSON.stringify(body)
  // Escaped spellings and spacing JSON allows, a duplicate key, whitespace.
  if (variant % 13 === 0) json = json.replace('"content":', '"content" : ')
  if (variant % 17 === 0) json = json.replace('"delta":{', '"delta":{"cont\\u0065nt":"shadow",')
  if (variant % 19 === 0) json = json.replace('"delta":{', '"delta":{"content":"first",')
  if (variant % 23 === 0) json = ` ${json}\n`
  return json
}

/** A candidate chunk: the template's text with its content string replaced by arbitrary (possibly invalid) text. */
function mutate(r: () => number, data: string, prefix: string, suffix: string): string {
  const body = r() < 0.5 ? JSON.stringify(text(r)).slice(1, -1) : text(r)
  const roll = r()
  if (roll < 0.7) return prefix + body + suffix
  if (roll < 0.8) return prefix + body + suffix.slice(1)
  if (roll < 0.9) return data.replace('"m"', '"n"')
  return `${prefix}${body}${suffix} `
}

describe('delta templates', () => {
  it('read a chunk only when JSON.parse reads the same, with just the content changed', () => {
    const r = rng(42)
    let read = 0
    let declined = 0
    for (let n = 0; n < 20_000; n++) {
      const variant = Math.floor(r() * 1000)
      const data = chunk(text(r), variant)
      const parsed = JSON.parse(data) as Json
      const content = ((parsed.choices as Json[])[0]!.delta as Json).content as string
      const template = deltaTemplate(data, content)
      if (!template) continue
      const candidate = mutate(r, data, template.prefix, template.suffix)
      const got = readWithTemplate(candidate, template)
      if (got === undefined) {
        declined++
        continue
      }
      read++
      const expected = JSON.parse(candidate) as Json
      const choice = (expected.choices as Json[])[0] as Json
      expect((choice.delta as Json).content).toBe(got)
      ;(choice.delta as Json).content = content
      expect(expected).toEqual(parsed)
    }
    expect(read).toBeGreaterThan(5000)
    expect(declined).toBeGreaterThan(1000)
  })

  it('make no template where the content key is not the only one or the envelope holds an escape', () => {
    const plain = '{"id":"a","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}'
    expect(deltaTemplate(plain, 'hi')).toEqual({
      prefix: '{"id":"a","choices":[{"index":0,"delta":{"content":"',
      suffix: '"},"finish_reason":null}]}',
    })
    expect(deltaTemplate(plain.replace('"content":"hi"', '"content":"x","content":"hi"'), 'hi')).toBeNull()
    expect(deltaTemplate(plain.replace('"delta":{', '"delta":{"cont\\u0065nt":"x",'), 'hi')).toBeNull()
    expect(deltaTemplate(plain.replace('"id":"a"', '"id":"\\"content\\":"'), 'hi')).toBeNull()
    // The position is checked against what JSON.parse read.
    expect(deltaTemplate(plain, 'other')).toBeNull()
  })

  it('reads escapes, and copies long texts out of the chunk', () => {
    const t = deltaTemplate('{"choices":[{"delta":{"content":"a"}}]}', 'a')!
    expect(readWithTemplate('{"choices":[{"delta":{"content":"\\n\\u00e9\\"x"}}]}', t)).toBe('\né"x')
    expect(readWithTemplate('{"choices":[{"delta":{"content":"ab\\"}}]}', t)).toBeUndefined()
    expect(readWithTemplate('{"choices":[{"delta":{"content":"a\u0001"}}]}', t)).toBeUndefined()
    expect(readWithTemplate('{"choices":[{"delta":{"content":"a\\x"}}]}', t)).toBeUndefined()
    expect(readWithTemplate('{"choices":[{"delta":{"content":"a"}}]} ', t)).toBeUndefined()
    const long = 'a long piece of an answer'
    expect(readWithTemplate(`{"choices":[{"delta":{"content":"${long}"}}]}`, t)).toBe(long)
  })
})
