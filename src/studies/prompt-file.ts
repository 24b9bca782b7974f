import type { StudyPrompt } from './types.ts'

// A study's prompts from a file the user uploads (page) or names (CLI): CSV with a header, JSONL, or plain text.
// Errors name the 1-based line of the file where the problem is, so a person can fix it.

export type PromptFileResult = { ok: true; prompts: StudyPrompt[] } | { ok: false; line: number; message: string }

const COLUMNS = ['prompt', 'system', 'expected'] as const

type Parsed = { ok: true; prompts: StudyPrompt[]; lines: number[] } | { ok: false; line: number; message: string }

export interface PromptFileOptions {
  /** Syntax check of an `expected` (see src/studies/expected.ts): null when fine, else the problem. */
  expectedSyntax?: (expected: string) => string | null
}

type FileFormat = 'csv' | 'jsonl' | 'text'

export const NOT_A_PROMPT_FILE = 'not a CSV, JSONL or text file (.csv, .jsonl, .txt)'

/** The extension picks the format; anything else (an image, a JSON array, a PDF) is refused, not read as lines. */
function formatOf(name: string): FileFormat | null {
  const lower = name.toLowerCase()
  if (lower.endsWith('.csv')) return 'csv'
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl'
  if (lower.endsWith('.txt')) return 'text'
  return null
}

/**
 * The prompts of a file's bytes as read (page upload, CLI): refuses a name that is not .csv/.jsonl/.ndjson/.txt
 * before looking inside, then bytes that are not UTF-8 (a binary file renamed .txt), naming the first bad line.
 */
export function parsePromptBytes(name: string, bytes: Uint8Array, options: PromptFileOptions = {}): PromptFileResult {
  if (formatOf(name) === null) return { ok: false, line: 1, message: NOT_A_PROMPT_FILE }
  const decoded = decodeUtf8(bytes)
  if (!decoded.ok) return decoded
  return parsePromptFile(name, decoded.text, options)
}

/** Strict UTF-8: a replacement character would otherwise turn a binary file into plausible prompts. */
export function decodeUtf8(
  bytes: Uint8Array,
): { ok: true; text: string } | { ok: false; line: number; message: string } {
  const strict = new TextDecoder('utf-8', { fatal: true })
  try {
    return { ok: true, text: strict.decode(bytes) }
  } catch {
    // Decoding line by line finds the first bad one (a multi-byte character never holds a 0x0A byte).
    let line = 1
    let start = 0
    for (let i = 0; i <= bytes.length; i++) {
      if (i < bytes.length && bytes[i] !== 0x0a) continue
      try {
        strict.decode(bytes.subarray(start, i))
      } catch {
        break
      }
      line++
      start = i + 1
    }
    return { ok: false, line, message: 'not UTF-8 text' }
  }
}

/**
 * Reads the prompts of `name`'s content; the extension picks the format (.csv, .jsonl or .ndjson, .txt: one
 * prompt per line) and any other name is refused. With `expectedSyntax`, a bad `expected` is reported on its
 * line too.
 */
export function parsePromptFile(name: string, text: string, options: PromptFileOptions = {}): PromptFileResult {
  const format = formatOf(name)
  if (format === null) return { ok: false, line: 1, message: NOT_A_PROMPT_FILE }
  const nul = text.indexOf('\0')
  if (nul >= 0) {
    const line = text.slice(0, nul).split('\n').length
    return { ok: false, line, message: 'a NUL byte: not a text file' }
  }
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text
  const result =
    format === 'csv' ? parseCsvPrompts(body) : format === 'jsonl' ? parseJsonlPrompts(body) : parseTextPrompts(body)
  if (!result.ok) return result
  if (result.prompts.length === 0) return { ok: false, line: 1, message: 'the file has no prompts' }
  if (options.expectedSyntax) {
    for (let i = 0; i < result.prompts.length; i++) {
      const expected = result.prompts[i]!.expected
      const problem = expected === undefined ? null : options.expectedSyntax(expected)
      if (problem) return { ok: false, line: result.lines[i]!, message: `"expected": ${problem}` }
    }
  }
  return { ok: true, prompts: result.prompts }
}

function parseTextPrompts(text: string): Parsed {
  const prompts: StudyPrompt[] = []
  const lines: number[] = []
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return
    prompts.push({ prompt: line })
    lines.push(i + 1)
  })
  return { ok: true, prompts, lines }
}

function parseJsonlPrompts(text: string): Parsed {
  const prompts: StudyPrompt[] = []
  const numbers: number[] = []
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (!line.trim()) continue
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      return { ok: false, line: i + 1, message: 'not valid JSON' }
    }
    const prompt = promptOf(value)
    if (typeof prompt === 'string') return { ok: false, line: i + 1, message: prompt }
    prompts.push(prompt)
    numbers.push(i + 1)
  }
  return { ok: true, prompts, lines: numbers }
}

/** A JSONL line's object as a prompt, or what is wrong with it. */
function promptOf(value: unknown): StudyPrompt | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'expected an object like {"prompt": "..."}'
  }
  const record = value as Record<string, unknown>
  for (const key of Object.keys(record)) {
    if (!(COLUMNS as readonly string[]).includes(key)) return `unknown field "${key}" (allowed: ${COLUMNS.join(', ')})`
  }
  if (typeof record.prompt !== 'string' || !record.prompt.trim()) return 'no "prompt" (a non-empty string)'
  const out: StudyPrompt = { prompt: record.prompt }
  for (const key of ['system', 'expected'] as const) {
    const v = record[key]
    if (v === undefined || v === null) continue
    if (typeof v !== 'string') return `"${key}" must be a string`
    if (v !== '') out[key] = v
  }
  return out
}

function parseCsvPrompts(text: string): Parsed {
  const rows = parseCsv(text)
  if (!rows.ok) return rows
  const [header, ...records] = rows.rows
  if (!header) return { ok: false, line: 1, message: 'the file has no header row' }
  const names = header.fields.map((f) => f.trim().toLowerCase())
  for (const n of names) {
    if (!(COLUMNS as readonly string[]).includes(n)) {
      return { ok: false, line: header.line, message: `unknown column "${n}" (allowed: ${COLUMNS.join(', ')})` }
    }
  }
  const at = (col: string) => names.indexOf(col)
  if (at('prompt') < 0) return { ok: false, line: header.line, message: 'the header has no "prompt" column' }
  const prompts: StudyPrompt[] = []
  const lines: number[] = []
  for (const row of records) {
    if (row.fields.length === 1 && row.fields[0] === '') continue
    if (row.fields.length !== names.length) {
      return {
        ok: false,
        line: row.line,
        message: `${row.fields.length} fields where the header has ${names.length}`,
      }
    }
    const prompt = row.fields[at('prompt')]!
    if (!prompt.trim()) return { ok: false, line: row.line, message: 'empty "prompt"' }
    const out: StudyPrompt = { prompt }
    const system = at('system') >= 0 ? row.fields[at('system')] : undefined
    const expected = at('expected') >= 0 ? row.fields[at('expected')] : undefined
    if (system) out.system = system
    if (expected) out.expected = expected
    prompts.push(out)
    lines.push(row.line)
  }
  return { ok: true, prompts, lines }
}

interface CsvRow {
  /** 1-based line where the record starts. */
  line: number
  fields: string[]
}

/** RFC 4180: comma-separated, `"` quotes fields that hold commas, quotes (doubled) or line breaks. */
export function parseCsv(text: string): { ok: true; rows: CsvRow[] } | { ok: false; line: number; message: string } {
  const rows: CsvRow[] = []
  let line = 1
  let i = 0
  const n = text.length
  while (i < n) {
    const start = line
    const fields: string[] = []
    for (;;) {
      let field = ''
      if (text[i] === '"') {
        const opened = line
        i++
        for (;;) {
          if (i >= n) return { ok: false, line: opened, message: 'a quoted field is never closed' }
          const ch = text[i]!
          if (ch === '"') {
            if (text[i + 1] === '"') {
              field += '"'
              i += 2
              continue
            }
            i++
            break
          }
          if (ch === '\n') line++
          field += ch
          i++
        }
        if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          return { ok: false, line, message: 'text after a closing quote (a quote inside a field must be doubled)' }
        }
      } else {
        while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          if (text[i] === '"') return { ok: false, line, message: 'a quote inside an unquoted field' }
          field += text[i]
          i++
        }
      }
      fields.push(field)
      if (i < n && text[i] === ',') {
        i++
        continue
      }
      break
    }
    if (text[i] === '\r') i++
    if (text[i] === '\n') {
      i++
      line++
    }
    rows.push({ line: start, fields })
  }
  return { ok: true, rows }
}
