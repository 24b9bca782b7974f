import { Script, createContext } from 'node:vm'

/**
 * The `expected` checks of a study prompt: a small, documented language (`contains:Paris`, `regex:^\d+$`,
 * `equals:42`, `json`) that gives a pass rate per target. Parsed once, when the study is created, so a bad
 * check is refused with the line it is on before anything runs. A discriminated union, open for later kinds
 * (an LLM judge).
 */
export type ExpectedCheck =
  | { kind: 'contains'; text: string }
  | { kind: 'icontains'; text: string }
  | { kind: 'equals'; text: string }
  | { kind: 'regex'; pattern: string; flags: string }
  | { kind: 'json' }

export type ExpectedKind = ExpectedCheck['kind']

export type ParsedExpected = { ok: true; check: ExpectedCheck } | { ok: false; message: string }

export interface CheckResult {
  pass: boolean
  /** Why the check failed (always set when `pass` is false). */
  reason?: string
}

/** One line of documentation per kind, for the README and the study page. */
export const EXPECTED_KINDS: readonly { kind: ExpectedKind; syntax: string; doc: string }[] = [
  { kind: 'contains', syntax: 'contains:TEXT', doc: 'the answer contains TEXT, case-sensitive' },
  { kind: 'icontains', syntax: 'icontains:TEXT', doc: 'the answer contains TEXT, ignoring case' },
  { kind: 'equals', syntax: 'equals:TEXT', doc: 'the answer is TEXT, ignoring whitespace around both' },
  {
    kind: 'regex',
    syntax: 'regex:PATTERN or regex:/PATTERN/FLAGS',
    doc: 'a JavaScript regular expression matches somewhere in the answer (flags i, m, s, u, v)',
  },
  { kind: 'json', syntax: 'json', doc: 'the answer is valid JSON, alone or in one ``` fenced block' },
]

/** Longest check accepted, and longest regex pattern. */
export const MAX_EXPECTED_LENGTH = 10_000
export const MAX_PATTERN_LENGTH = 1_000
/** Longest answer a regex runs on; a longer answer fails the check (with that reason) instead of being cut. */
export const MAX_REGEX_INPUT = 1_000_000
/** How long one regex match may run before it counts as failed: a guard against catastrophic backtracking. */
export const DEFAULT_REGEX_TIMEOUT_MS = 100

const REGEX_FLAGS = /^[imsuv]*$/
const KIND_NAMES = 'contains:, icontains:, equals:, regex: or json'

const fail = (message: string): ParsedExpected => ({ ok: false, message })

/** Text quoted in a reason, cut to keep messages one line. */
function quote(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ')
  return JSON.stringify(oneLine.length > 60 ? `${oneLine.slice(0, 59)}…` : oneLine)
}

function parseRegex(text: string): ParsedExpected {
  let pattern = text
  let flags = ''
  const literal = /^\/([\s\S]+)\/([a-z]*)$/.exec(text)
  if (literal) {
    pattern = literal[1]!
    flags = literal[2]!
  }
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return fail(`regex pattern is ${pattern.length} characters; at most ${MAX_PATTERN_LENGTH}`)
  }
  if (!REGEX_FLAGS.test(flags)) return fail(`regex flags ${quote(flags)} not allowed: use only i, m, s, u, v`)
  try {
    new RegExp(pattern, flags)
  } catch (error) {
    return fail(`invalid regex ${quote(pattern)}: ${(error as Error).message}`)
  }
  return { ok: true, check: { kind: 'regex', pattern, flags } }
}

/**
 * Parses one check. The kind is the text before the first colon (any case); the text after it is taken with
 * its surrounding whitespace trimmed (use a regex with `\s` for significant spaces at the ends). `contains:`
 * and `equals:` compare case-sensitively, `icontains:` ignoring case; all compare in Unicode NFC. `regex:`
 * takes a JavaScript pattern, bare (`regex:^\d+$`) or as `/pattern/flags`; an invalid one is refused here.
 */
export function parseExpected(spec: string): ParsedExpected {
  const trimmed = spec.trim()
  if (trimmed === '') return fail(`empty check: use ${KIND_NAMES}`)
  if (trimmed.length > MAX_EXPECTED_LENGTH) {
    return fail(`check is ${trimmed.length} characters; at most ${MAX_EXPECTED_LENGTH}`)
  }
  const colon = trimmed.indexOf(':')
  const kind = (colon === -1 ? trimmed : trimmed.slice(0, colon)).trim().toLowerCase()
  const text = colon === -1 ? '' : trimmed.slice(colon + 1).trim()
  switch (kind) {
    case 'json':
      return text === '' ? { ok: true, check: { kind: 'json' } } : fail('json takes nothing after it')
    case 'contains':
    case 'icontains':
    case 'equals':
      if (colon === -1 || text === '') return fail(`${kind}: needs a text after the colon`)
      return { ok: true, check: { kind, text: text.normalize('NFC') } }
    case 'regex':
      if (colon === -1 || text === '') return fail('regex: needs a pattern after the colon')
      return parseRegex(text)
    default:
      return fail(`unknown check ${quote(colon === -1 ? trimmed : `${kind}:`)}: use ${KIND_NAMES}`)
  }
}

/** The spec a check was parsed from, in canonical form (for display and export). */
export function formatExpected(check: ExpectedCheck): string {
  switch (check.kind) {
    case 'json':
      return 'json'
    case 'regex':
      return check.flags ? `regex:/${check.pattern}/${check.flags}` : `regex:${check.pattern}`
    default:
      return `${check.kind}:${check.text}`
  }
}

/**
 * One reused sandbox for regex matching. A match runs inside it with a `timeout`, which interrupts even a
 * backtracking regex (V8 checks for interrupts while matching); the RegExp is made inside the sandbox so the
 * interrupted work is all there. Created on first use.
 */
let sandbox: { context: Record<string, unknown>; script: Script } | null = null

function regexSandbox() {
  if (sandbox === null) {
    const context = createContext(Object.create(null), { codeGeneration: { strings: false, wasm: false } })
    sandbox = { context, script: new Script('new RegExp(pattern, flags).test(input)') }
  }
  return sandbox
}

function matchRegex(check: { pattern: string; flags: string }, answer: string, timeoutMs: number): CheckResult {
  if (answer.length > MAX_REGEX_INPUT) {
    return {
      pass: false,
      reason: `answer is ${answer.length} characters, too long for a regex check (at most ${MAX_REGEX_INPUT})`,
    }
  }
  const { context, script } = regexSandbox()
  context.pattern = check.pattern
  context.flags = check.flags
  context.input = answer
  try {
    for (let attempt = 1; ; attempt++) {
      const cpu0 = process.cpuUsage()
      try {
        const matched = script.runInContext(context, { timeout: timeoutMs }) === true
        return matched ? { pass: true } : { pass: false, reason: `no match for /${check.pattern}/${check.flags}` }
      } catch (error) {
        if ((error as { code?: string }).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
          return { pass: false, reason: `regex failed: ${(error as Error).message}` }
        }
        // The limit is wall time: on a loaded machine a trivial match can pass it while the process waits for a
        // CPU. Only a match that spent the time computing is a runaway; one that mostly waited is tried again.
        const { user, system } = process.cpuUsage(cpu0)
        if (attempt < MAX_REGEX_ATTEMPTS && (user + system) / 1000 < timeoutMs / 2) continue
        return { pass: false, reason: `regex took over ${timeoutMs} ms (runaway backtracking?); counted as failed` }
      }
    }
  } finally {
    context.input = ''
  }
}

/** Tries of one regex match whose time went mostly to waiting for a CPU, not to matching. */
const MAX_REGEX_ATTEMPTS = 3

/** The JSON text of an answer: all of it, or the inside of one ``` fenced block that is all of it. */
function jsonText(answer: string): string {
  const trimmed = answer.trim()
  const fenced = /^```[^\n`]*\n([\s\S]*?)\n?```$/.exec(trimmed)
  return fenced ? fenced[1]! : trimmed
}

export interface CheckOptions {
  /** Time limit of one regex match (default 100 ms); a match that takes longer fails the check. */
  regexTimeoutMs?: number
}

/** Runs a parsed check on an answer's text (its Markdown source as the model wrote it). */
export function checkExpected(check: ExpectedCheck, answer: string, options: CheckOptions = {}): CheckResult {
  switch (check.kind) {
    case 'contains':
      return answer.normalize('NFC').includes(check.text)
        ? { pass: true }
        : { pass: false, reason: `does not contain ${quote(check.text)}` }
    case 'icontains':
      return answer.normalize('NFC').toLowerCase().includes(check.text.toLowerCase())
        ? { pass: true }
        : { pass: false, reason: `does not contain ${quote(check.text)} (ignoring case)` }
    case 'equals':
      return answer.normalize('NFC').trim() === check.text
        ? { pass: true }
        : { pass: false, reason: `is not ${quote(check.text)}` }
    case 'regex':
      return matchRegex(check, answer, options.regexTimeoutMs ?? DEFAULT_REGEX_TIMEOUT_MS)
    case 'json':
      try {
        JSON.parse(jsonText(answer))
        return { pass: true }
      } catch (error) {
        return { pass: false, reason: `not valid JSON: ${(error as Error).message}` }
      }
  }
}
