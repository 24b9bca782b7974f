import { createRequire } from 'node:module'
import type MarkdownItType from 'markdown-it'
import type KatexType from 'katex'
import { escapeHtml } from './escape-html.ts'

/**
 * TeX math in model answers, as a markdown-it plugin: inline `$…$` and `\(…\)`, display `$$…$$` and `\[…\]`
 * (as blocks on their own lines, or inside a paragraph). KaTeX turns each formula into MathML only: the
 * browser draws it natively, so no fonts, CSS or script reach the page. The result still goes through the
 * sanitizer with the rest of the answer (see markdown.ts for the MathML allowlist).
 *
 * Dollar amounts stay prose: an inline `$` opens only when a non-space follows it, and closes only after a
 * non-space and before anything but a digit (`$5 and $10`, `costs $3.50 or $4` are text).
 */

type MarkdownIt = InstanceType<typeof MarkdownItType>
type StateInline = Parameters<Parameters<MarkdownIt['inline']['ruler']['before']>[2]>[0]
type StateBlock = Parameters<Parameters<MarkdownIt['block']['ruler']['before']>[2]>[0]

/** Longest formula rendered; anything longer is shown as its source (a formula is not a document). */
export const MAX_FORMULA_CHARS = 10_000

/**
 * What one answer may spend on math: KaTeX takes ~0.1-0.3 ms a formula and ~15 µs a character, so a
 * 4 MB answer of `$x$` would hold the event loop for minutes. Past either limit, formulas are shown as their
 * source in plain code. One budget per answer, shared by its streamed blocks in order, so the blocks and the
 * final full render draw the same formulas.
 */
export interface MathBudget {
  formulas: number
  chars: number
}
export const MATH_BUDGET: Readonly<MathBudget> = { formulas: 500, chars: 30_000 }
export const newMathBudget = (): MathBudget => ({ ...MATH_BUDGET })

const KATEX_OPTIONS = {
  output: 'mathml',
  throwOnError: true,
  // No \href, \url, \includegraphics, \htmlClass, \htmlStyle…: they render as their (inert) source.
  trust: false,
  strict: 'ignore',
  // Bounds hostile input: sizes (\rule, \kern…) in em, and macro expansions (\def\a{\b\b}… would otherwise
  // grow exponentially). Past either, KaTeX throws and the formula is shown as source.
  maxSize: 50,
  maxExpand: 500,
} as const satisfies KatexType.KatexOptions

const require = createRequire(import.meta.url)
let katex: typeof KatexType | undefined

/**
 * One formula as MathML, or, when KaTeX refuses it (syntax error, too large, too many expansions), its
 * source with its delimiters in a `<code class="math-error">`: never an error page, never KaTeX's error HTML.
 */
export function renderTex(tex: string, options: { display: boolean; source: string; budget?: MathBudget }): string {
  const fallback = `<code class="math-error">${escapeHtml(options.source)}</code>`
  if (tex.length > MAX_FORMULA_CHARS) return fallback
  const budget = options.budget
  if (budget) {
    if (budget.formulas < 1 || budget.chars < tex.length) return `<code>${escapeHtml(options.source)}</code>`
    budget.formulas--
    budget.chars -= tex.length
  }
  katex ??= require('katex') as typeof KatexType
  try {
    return katex.renderToString(tex, { ...KATEX_OPTIONS, displayMode: options.display })
  } catch {
    // ParseError, and RangeError from a formula nested deep enough to exhaust the stack.
    return fallback
  }
}

const DOLLAR = 0x24
const BACKSLASH = 0x5c

const isSpace = (code: number | undefined) => code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d
const isDigit = (code: number | undefined) => code !== undefined && code >= 0x30 && code <= 0x39

/** Whether the character at `pos` is escaped by an odd number of backslashes before it. */
function escaped(src: string, pos: number, start: number): boolean {
  let n = 0
  for (let i = pos - 1; i >= start && src.charCodeAt(i) === BACKSLASH; i--) n++
  return n % 2 === 1
}

interface Delimiters {
  open: string
  close: string
  display: boolean
}

const INLINE_DELIMITERS: Delimiters[] = [
  { open: '$$', close: '$$', display: true },
  { open: '\\[', close: '\\]', display: true },
  { open: '\\(', close: '\\)', display: false },
  { open: '$', close: '$', display: false },
]

/**
 * Openers with no closer, remembered per parse so that a paragraph of a thousand `$5` (or `\(`) is read once,
 * not once per opener: when no closer follows `from`, none follows any later opener either (whether a `$`
 * can close depends only on the characters around it). Keyed by delimiter and the end of the range.
 */
const unclosed = new WeakMap<object, Map<string, number>>()

function knownUnclosed(state: object, key: string, start: number): boolean {
  const from = unclosed.get(state)?.get(key)
  return from !== undefined && start >= from
}

function unclosedOf(state: object): Map<string, number> {
  const map = unclosed.get(state) ?? new Map<string, number>()
  unclosed.set(state, map)
  return map
}

function rememberUnclosed(state: object, key: string, start: number): void {
  const map = unclosedOf(state)
  map.set(key, Math.min(map.get(key) ?? start, start))
}

/** Where the closing `$` of an inline formula opened at `start` is, or -1 (the dollar-amount rules). */
function closingDollar(src: string, start: number, max: number): number {
  if (isSpace(src.charCodeAt(start))) return -1
  for (let pos = start; pos < max; pos++) {
    pos = src.indexOf('$', pos)
    if (pos === -1 || pos >= max) return -1
    if (escaped(src, pos, start)) continue
    if (pos === start || isSpace(src.charCodeAt(pos - 1)) || isDigit(src.charCodeAt(pos + 1))) continue
    return pos
  }
  return -1
}

function mathInline(state: StateInline, silent: boolean): boolean {
  const { src, pos, posMax } = state
  const first = src.charCodeAt(pos)
  if (first !== DOLLAR && first !== BACKSLASH) return false
  for (const d of INLINE_DELIMITERS) {
    if (!src.startsWith(d.open, pos)) continue
    const start = pos + d.open.length
    const key = `${d.open}@${posMax}`
    let end = -1
    if (!knownUnclosed(state, key, start)) {
      end = d.open === '$' ? closingDollar(src, start, posMax) : src.indexOf(d.close, start)
      if (end >= posMax) end = -1
      // A `$` that only failed because a space follows it says nothing about later openers.
      if (end === -1 && !(d.open === '$' && isSpace(src.charCodeAt(start)))) rememberUnclosed(state, key, start)
    }
    if (end === -1 || end === start) {
      // `$$` with no closing pair must not be re-read as an empty `$…$`.
      if (d.open === '$$') return false
      continue
    }
    if (!silent) {
      const token = state.push(d.display ? 'math_inline_display' : 'math_inline', 'math', 0)
      token.content = src.slice(start, end)
      token.markup = d.open
      token.info = src.slice(pos, end + d.close.length)
    }
    state.pos = end + d.close.length
    return true
  }
  return false
}

const BLOCK_DELIMITERS: Delimiters[] = [
  { open: '$$', close: '$$', display: true },
  { open: '\\[', close: '\\]', display: true },
]

function mathBlock(state: StateBlock, startLine: number, endLine: number, silent: boolean): boolean {
  // Indented four spaces or more: an indented code block, and code stays code.
  if (state.sCount[startLine]! - state.blkIndent >= 4) return false
  const lineText = (line: number) => state.src.slice(state.bMarks[line]! + state.tShift[line]!, state.eMarks[line]!)
  const first = lineText(startLine)
  const d = BLOCK_DELIMITERS.find((x) => first.startsWith(x.open))
  if (!d) return false
  let content: string
  let last = startLine
  const firstRest = first.slice(d.open.length).trimEnd()
  const closeAt = firstRest.indexOf(d.close)
  // Text after the closing delimiter: inline display math inside a paragraph, the inline rule's job.
  if (closeAt !== -1 && closeAt !== firstRest.length - d.close.length) return false
  if (closeAt !== -1) {
    // One line: `$$ x^2 $$`.
    content = firstRest.slice(0, -d.close.length)
    if (content.trim() === '') return false
  } else {
    // As for inline openers: lines up to the blank line that stopped an earlier scan hold no closer either.
    const key = `${d.open}@${state.blkIndent}@${endLine}`
    const stop = unclosed.get(state)?.get(key)
    const scanned = unclosed.get(state)?.get(`${key}:from`)
    if (stop !== undefined && scanned !== undefined && startLine > scanned && startLine < stop) return false
    const lines = [firstRest]
    let found = false
    let line = startLine + 1
    for (; line < endLine; line++) {
      // A blank line ends the block unclosed (TeX display math cannot hold one either), as does a dedent.
      if (state.isEmpty(line) || state.sCount[line]! < state.blkIndent) break
      const text = lineText(line).trimEnd()
      if (text.endsWith(d.close)) {
        lines.push(text.slice(0, -d.close.length))
        last = line
        found = true
        break
      }
      lines.push(text)
    }
    if (!found) {
      const map = unclosedOf(state)
      map.set(key, line)
      map.set(`${key}:from`, startLine)
      return false
    }
    content = lines.join('\n').trim()
  }
  if (silent) return true
  const token = state.push('math_block', 'math', 0)
  token.block = true
  token.content = content
  token.markup = d.open
  token.info = state.src.slice(state.bMarks[startLine]! + state.tShift[startLine]!, state.eMarks[last]!)
  token.map = [startLine, last + 1]
  state.line = last + 1
  return true
}

/** Adds the math rules. Inline math runs before `escape` (which would eat `\(`) and after code spans. */
export function mathPlugin(md: MarkdownIt): void {
  md.inline.ruler.before('escape', 'math_inline', mathInline)
  md.block.ruler.before('fence', 'math_block', mathBlock, { alt: ['paragraph', 'reference', 'blockquote', 'list'] })
  // The caller's budget rides in markdown-it's per-render `env` (see renderMarkdown).
  const render = (token: { content: string; info: string }, display: boolean, env: unknown) =>
    renderTex(token.content, { display, source: token.info, budget: (env as { math?: MathBudget } | undefined)?.math })
  md.renderer.rules.math_inline = (tokens, idx, _o, env) => render(tokens[idx]!, false, env)
  md.renderer.rules.math_inline_display = (tokens, idx, _o, env) => render(tokens[idx]!, true, env)
  md.renderer.rules.math_block = (tokens, idx, _o, env) => `<p>${render(tokens[idx]!, true, env)}</p>\n`
}
