import { describe, expect, it } from 'vitest'
import { parseCsv, parsePromptFile } from '../../src/studies/prompt-file.ts'

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

describe('parseCsv', () => {
  it('keeps empty fields and commas inside quotes', () => {
    expect(parseCsv('a,,"b,c"\n')).toEqual({ ok: true, rows: [{ line: 1, fields: ['a', '', 'b,c'] }] })
  })

  it('refuses a stray quote', () => {
    expect(parseCsv('a"b\n')).toMatchObject({ ok: false, line: 1 })
    expect(parseCsv('"a"b\n')).toMatchObject({ ok: false, line: 1 })
  })
})
