import { performance } from 'node:perf_hooks'
import type { TargetResult } from '../domain/types.ts'
import { lastBlockBoundary, renderMarkdown } from '../render/markdown.ts'
import { type MathBudget, newMathBudget } from '../render/math.ts'
import { escapeHtml } from '../render/escape-html.ts'

export function partial(id: string, swap: 'beforeend' | 'innerHTML' | 'outerHTML', html: string): string {
  return `<hx-partial hx-target="#${id}" hx-swap="${swap}">${html}</hx-partial>`
}

interface ColumnState {
  text: string
  /** Characters of `text` already sent as rendered Markdown blocks. */
  committed: number
  /** Concatenated HTML of the committed blocks, to check against a full render at the end. */
  renderedBlocks: string
  /** What the answer's blocks may still spend on math, in order, like one render of the whole answer. */
  math: MathBudget
  pendingText: string
  pendingReasoning: string
  chars: number
  start: number
  ttftMs: number | null
  lastMs: number | null
  finished: boolean
}

export interface ColumnIds {
  rendered: string
  tail: string
  reasoning: string
}

/**
 * Turns a run's events into htmx partials with bytes linear in the answer: deltas are appended as escaped
 * text to a "tail"; whenever the text completes a Markdown block (a blank line outside a code fence) that
 * block is rendered once, sanitized and appended, and the tail restarts. A full render is sent at the end
 * only when it differs from the blocks (e.g. a loose list split by blank lines).
 */
export class PageStreamComposer {
  private readonly columns = new Map<number, ColumnState>()

  constructor(private readonly idsOf: (index: number) => ColumnIds) {}

  open(index: number): void {
    this.columns.set(index, {
      text: '',
      committed: 0,
      renderedBlocks: '',
      math: newMathBudget(),
      pendingText: '',
      pendingReasoning: '',
      chars: 0,
      start: performance.now(),
      ttftMs: null,
      lastMs: null,
      finished: false,
    })
  }

  delta(index: number, kind: 'text' | 'reasoning', text: string): void {
    const col = this.columns.get(index)
    if (!col || col.finished) return
    const now = performance.now() - col.start
    col.ttftMs ??= now
    col.lastMs = now
    col.chars += text.length
    if (kind === 'text') {
      col.text += text
      col.pendingText += text
    } else col.pendingReasoning += text
  }

  /** Partials for everything received since the last flush, all columns, as one message ('' if none). */
  flush(): string {
    let out = ''
    for (const [index, col] of this.columns) out += this.flushColumn(index, col, false)
    return out
  }

  /** Final partials for one column's answer (the caller adds stats and status). */
  finish(index: number, result: TargetResult): string {
    const col = this.columns.get(index)
    if (!col) return ''
    // The result's text is authoritative (it is what history stores).
    if (result.text !== col.text) {
      col.pendingText += result.text.slice(col.text.length)
      col.text = result.text
    }
    const out = this.flushColumn(index, col, true)
    col.finished = true
    return out
  }

  live(
    index: number,
  ): { elapsedMs: number; ttftMs: number | null; approxTokens: number; rate: number | null } | undefined {
    const col = this.columns.get(index)
    if (!col || col.finished) return undefined
    // About four characters per token: good enough for a live figure; the final one comes from usage.
    const approxTokens = Math.round(col.chars / 4)
    const span = col.ttftMs !== null && col.lastMs !== null ? col.lastMs - col.ttftMs : 0
    return {
      elapsedMs: performance.now() - col.start,
      ttftMs: col.ttftMs,
      approxTokens,
      rate: span > 250 && approxTokens > 1 ? ((approxTokens - 1) / span) * 1000 : null,
    }
  }

  running(): number[] {
    return [...this.columns].filter(([, c]) => !c.finished).map(([i]) => i)
  }

  private flushColumn(index: number, col: ColumnState, final: boolean): string {
    const ids = this.idsOf(index)
    let out = ''
    if (col.pendingReasoning) {
      out += partial(ids.reasoning, 'beforeend', escapeHtml(col.pendingReasoning))
      col.pendingReasoning = ''
    }
    if (!col.pendingText && !final) return out
    const boundary = final ? col.text.length : lastBlockBoundary(col.text, col.committed)
    if (boundary > col.committed) {
      const html = renderMarkdown(col.text.slice(col.committed, boundary), col.math)
      col.renderedBlocks += html
      col.committed = boundary
      out += partial(ids.rendered, 'beforeend', html)
      out += partial(ids.tail, 'innerHTML', escapeHtml(col.text.slice(boundary)))
    } else if (col.pendingText) {
      out += partial(ids.tail, 'beforeend', escapeHtml(col.pendingText))
    }
    col.pendingText = ''
    if (final) {
      const full = renderMarkdown(col.text)
      if (full !== col.renderedBlocks) out += partial(ids.rendered, 'innerHTML', full)
    }
    return out
  }
}
