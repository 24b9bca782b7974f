/**
 * Reading a stream's chunks without JSON.parse when they differ from an earlier one only in the delta's text.
 *
 * Many servers (vLLM, llama.cpp, Ollama, Groq, LM Studio, ...) send every content chunk of a stream with the same
 * envelope: id, timestamp, model, index and finish_reason repeat, only `choices[0].delta.content` changes.
 * JSON.parse builds that whole object graph per token, the largest cost per relayed token (`npm run bench`,
 * CPU per relayed token). A chunk parsed the general way becomes a template when its `content` key is the only
 * one in the text; a later chunk is read from it when it has the same text before and after the content string
 * and what lies between is a complete JSON string body. Such a chunk is the template's JSON with one string
 * token replaced by another, so JSON.parse would give the same object with only that string changed: the
 * reading is exact, never a guess. Anything else (another envelope, OpenAI's per-chunk `obfuscation`, an
 * escape cut at the edge) is parsed the general way.
 */
export interface DeltaTemplate {
  /** The chunk's text up to and including the content string's opening quote. */
  prefix: string
  /** From the content string's closing quote to the end. */
  suffix: string
}

/** Set by `stringEnd`: the body it passed over holds an escape. */
let sawEscape = false

const QUOTE = 0x22
const BACKSLASH = 0x5c
/** V8 keeps a slice of this length or more as a view into its parent string: such slices are copied. */
const SLICE_MIN = 13
const CONTENT_KEY = '"content"'

/**
 * The template of `data`, whose JSON.parse gave `content` as `choices[0].delta.content`; null when the text
 * around the content string holds an escape (a key could then be spelled with one), another `content` key
 * (which one JSON.parse took would be unclear) or the string is not where expected.
 */
export function deltaTemplate(data: string, content: string): DeltaTemplate | null {
  const at = contentKey(data, 0)
  if (at === -1 || contentKey(data, at + 1) !== -1) return null
  let open = at + CONTENT_KEY.length
  while (isWs(data.charCodeAt(open))) open++
  if (data.charCodeAt(open) !== 0x3a) return null
  open++
  while (isWs(data.charCodeAt(open))) open++
  if (data.charCodeAt(open) !== QUOTE) return null
  const close = stringEnd(data, open + 1)
  if (close === -1) return null
  // Copies: `data` is a view into its network chunk's text, which the stream's template must not keep alive.
  const prefix = copy(data.slice(0, open + 1))
  const suffix = copy(data.slice(close))
  if (prefix.includes('\\') || suffix.includes('\\')) return null
  // The text between the quotes must read back as the content JSON.parse gave (a check of the position).
  if (readBody(data, open + 1, close) !== content) return null
  return { prefix, suffix }
}

/**
 * The content of `data` read with `template`, or undefined when `data` is not the template with another content
 * string (then JSON.parse decides).
 */
export function readWithTemplate(data: string, template: DeltaTemplate): string | undefined {
  const { prefix, suffix } = template
  const end = data.length - suffix.length
  // Compared as substrings: V8's startsWith goes character by character, several times slower.
  if (end < prefix.length || data.substring(end) !== suffix || data.substring(0, prefix.length) !== prefix)
    return undefined
  if (stringEnd(data, prefix.length) !== end) return undefined
  return readBody(data, prefix.length, end)
}

/**
 * The first `"content"` at or after `from` that is a key: its quote not escaped (in valid JSON then a string
 * token of its own) and a colon after it. -1 when there is none.
 */
function contentKey(data: string, from: number): number {
  for (let at = data.indexOf(CONTENT_KEY, from); at !== -1; at = data.indexOf(CONTENT_KEY, at + 1)) {
    let slashes = 0
    while (data.charCodeAt(at - 1 - slashes) === BACKSLASH) slashes++
    if (slashes % 2 !== 0) continue
    let after = at + CONTENT_KEY.length
    while (isWs(data.charCodeAt(after))) after++
    if (data.charCodeAt(after) === 0x3a) return at
  }
  return -1
}

/**
 * Where the JSON string body starting at `start` ends (the index of its closing quote), or -1 when it is not a
 * valid body (a control character, a bad escape, no closing quote).
 */
function stringEnd(data: string, start: number): number {
  sawEscape = false
  for (let i = start; ; ) {
    const c = data.charCodeAt(i)
    if (c === QUOTE) return i
    // NaN (past the end) fails here too.
    if (!(c >= 0x20)) return -1
    if (c !== BACKSLASH) {
      i++
      continue
    }
    sawEscape = true
    const e = data.charCodeAt(i + 1)
    if (e === 0x75) {
      for (let k = 2; k < 6; k++) if (!isHex(data.charCodeAt(i + k))) return -1
      i += 6
    } else if (
      e === QUOTE ||
      e === BACKSLASH ||
      e === 0x2f ||
      e === 0x62 ||
      e === 0x66 ||
      e === 0x6e ||
      e === 0x72 ||
      e === 0x74
    ) {
      i += 2
    } else return -1
  }
}

/**
 * The string a valid JSON string body decodes to (just passed over by `stringEnd`), never a view that keeps the
 * chunk's text alive.
 */
function readBody(data: string, start: number, end: number): string {
  if (sawEscape) return JSON.parse(data.slice(start - 1, end + 1)) as string
  const value = data.slice(start, end)
  return value.length < SLICE_MIN ? value : copy(value)
}

/** A string of its own, not a view into a larger one. */
function copy(value: string): string {
  return ` ${value}`.slice(1)
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09
}
