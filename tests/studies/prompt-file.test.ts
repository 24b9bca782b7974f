import { describe, expect, it } from 'vitest'
import { decodeUtf8, parseCsv, parsePromptBytes, parsePromptFile } from '../../src/studies/prompt-file.ts'

describe('parsePromptFile', () => {
  it('reads plain text as one prompt per line, skipping blank lines', () => {
    expect(parsePromptFile('prompts.txt', 'first\r\n\n  \nsecond, with a comma\n')).toEqual({
      ok: true,
      prompts: [{ prompt: 'first' }, { prompt: 'second, with a comma' }],
    })
  })

  it('reads CSV with a header, RFC 4180 quotes, doubled quotes and multi-line fields', () => {
    const csv = '\uFEFFprompt,system,expected\r\n"Say ""hi""",be brief,contains:hi\r\n"two\nlines",,\r\nplain,,\r\n'
    expect(parsePromptFile('set.CSV', csv)).toEqual({
      ok: true,
      prompts: [
        { prompt: 'Say "hi"', system: 'be brief', expected: 'contains:hi' },
        { prompt: 'two\nlines' },
        { prompt: 'plain' },
      ],
    })
  })

  it('reads CSV columns in any order and case', () => {
    expect(parsePromptFile('a.csv', 'Expected,Prompt\ncontains:4,2+2?\n')).toEqual({
      ok: true,
      prompts: [{ prompt: '2+2?', expected: 'contains:4' }],
    })
  })

  it('names the line of a CSV problem', () => {
    expect(parsePromptFile('a.csv', 'system,expected\nx,y\n')).toEqual({
      ok: false,
      line: 1,
      message: 'the header has no "prompt" column',
    })
    expect(parsePromptFile('a.csv', 'prompt,colour\nx,y\n')).toMatchObject({ ok: false, line: 1 })
    // The record on line 3 starts after a two-line field.
    expect(parsePromptFile('a.csv', 'prompt,system\n"a\nb",s\nonly-one-field,x,y\n')).toEqual({
      ok: false,
      line: 4,
      message: '3 fields where the header has 2',
    })
    expect(parsePromptFile('a.csv', 'prompt\nok\n"never closed\n')).toEqual({
      ok: false,
      line: 3,
      message: 'a quoted field is never closed',
    })
    expect(parsePromptFile('a.csv', 'prompt,system\n ,s\n')).toEqual({ ok: false, line: 2, message: 'empty "prompt"' })
  })

  it('reads JSONL objects, one a line, and names the bad line', () => {
    const jsonl = '{"prompt":"a"}\n\n{"prompt":"b","system":"s","expected":"equals:b"}\n'
    expect(parsePromptFile('set.jsonl', jsonl)).toEqual({
      ok: true,
      prompts: [{ prompt: 'a' }, { prompt: 'b', system: 's', expected: 'equals:b' }],
    })
    expect(parsePromptFile('set.jsonl', '{"prompt":"a"}\n{"text":"b"}\n')).toEqual({
      ok: false,
      line: 2,
      message: 'unknown field "text" (allowed: prompt, system, expected)',
    })
    expect(parsePromptFile('set.jsonl', '{"prompt":"a"}\n\n{"system":"s"}\n')).toEqual({
      ok: false,
      line: 3,
      message: 'no "prompt" (a non-empty string)',
    })
    expect(parsePromptFile('set.jsonl', '{"prompt":"a"\n')).toEqual({ ok: false, line: 1, message: 'not valid JSON' })
    expect(parsePromptFile('set.jsonl', '["a"]\n')).toMatchObject({ ok: false, line: 1 })
  })

  it('names the line of a bad expected check when given the syntax rule', () => {
    const expectedSyntax = (e: string) => (e.startsWith('contains:') ? null : `unknown check "${e}"`)
    const jsonl = '{"prompt":"a","expected":"contains:a"}\n\n{"prompt":"b","expected":"smells:b"}\n'
    expect(parsePromptFile('set.jsonl', jsonl, { expectedSyntax })).toEqual({
      ok: false,
      line: 3,
      message: '"expected": unknown check "smells:b"',
    })
    const csv = 'prompt,expected\n"multi\nline",contains:x\nq,nope\n'
    expect(parsePromptFile('set.csv', csv, { expectedSyntax })).toMatchObject({ ok: false, line: 4 })
    expect(parsePromptFile('set.csv', 'prompt,expected\nq,contains:q\n', { expectedSyntax })).toMatchObject({
      ok: true,
    })
  })

  it('refuses a file without prompts', () => {
    expect(parsePromptFile('empty.txt', '\n \n')).toEqual({ ok: false, line: 1, message: 'the file has no prompts' })
    expect(parsePromptFile('empty.csv', 'prompt\n')).toMatchObject({ ok: false, message: 'the file has no prompts' })
  })
})

describe('what is not a prompt file', () => {
  const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52])
  const refused = { ok: false, line: 1, message: 'not a CSV, JSONL or text file (.csv, .jsonl, .txt)' }

  it('refuses a name that is not .csv, .jsonl, .ndjson or .txt, instead of reading it one prompt a line', () => {
    expect(parsePromptBytes('photo.png', PNG)).toEqual(refused)
    // A JSON array is not JSONL: read line by line it would send "[" and "]" as prompts.
    expect(parsePromptFile('prompts.json', '[\n"a",\n"b"\n]\n')).toEqual(refused)
    expect(parsePromptFile('notes', 'a\nb\n')).toEqual(refused)
    expect(parsePromptFile('set.NDJSON', '{"prompt":"a"}\n')).toEqual({ ok: true, prompts: [{ prompt: 'a' }] })
  })

  it('refuses bytes that are not UTF-8, naming the line, and text with a NUL byte', () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('fine\nalso fine\n'), 0x61, 0xff, 0x62, 0x0a])
    expect(parsePromptBytes('renamed.txt', bytes)).toEqual({ ok: false, line: 3, message: 'not UTF-8 text' })
    expect(parsePromptBytes('image.txt', PNG)).toMatchObject({ ok: false, line: 1 })
    expect(parsePromptFile('a.txt', 'one\ntw\0o\n')).toEqual({
      ok: false,
      line: 2,
      message: 'a NUL byte: not a text file',
    })
    expect(parsePromptBytes('a.csv', new TextEncoder().encode('prompt\n"café, ☕"\n'))).toEqual({
      ok: true,
      prompts: [{ prompt: 'café, ☕' }],
    })
  })

  it('decodes strict UTF-8 and drops a byte-order mark', () => {
    expect(decodeUtf8(new Uint8Array([0xef, 0xbb, 0xbf, 0x68, 0x69]))).toEqual({ ok: true, text: 'hi' })
    // An overlong encoding of "/" that a lenient decoder would turn into U+FFFD.
    expect(decodeUtf8(new Uint8Array([0xc0, 0xaf]))).toEqual({ ok: false, line: 1, message: 'not UTF-8 text' })
  })
})

describe('parseCsv', () => {
  it('keeps empty fields and commas inside quotes', () => {
    expect(parseCsv('a,,"b,c"\n')).toEqual({ ok: true, rows: [{ line: 1, fields: ['a', '', 'b,c'] }] })
  })

  it('refuses a stray quote', () => {
    expect(parseCsv('a"b\n')).toMatchObject({ ok: false, line: 1 })
    expect(parseCsv('"a"b\n')).toMatchObject({ ok: false, line: 1 })
  })
})
