import type { TargetResult } from '../domain/types.ts'
import type { RunEvent } from '../engine/types.ts'
import type { RunFigures } from '../pricing/summary.ts'
import { formatMs } from '../../views/format.ts'
import type { Output } from './cli-io.ts'
import { answerText, errorLine, figuresTable } from './result-text.ts'
import { type Styles, fitWidth, stripControls, truncate, wrapText } from './terminal-text.ts'

/** The narrowest column worth showing side by side; below it the targets are stacked. */
const MIN_COLUMN = 28
const GAP = ' │ '

interface Column {
  target: string
  text: string
  reasoningChars: number
  status: string
}

/** Column width when `n` columns fit side by side in `columns`, else null (stack them). */
export function sideBySideWidth(n: number, columns: number): number | null {
  const width = Math.floor((columns - 1 - GAP.length * (n - 1)) / n)
  return width >= MIN_COLUMN ? width : null
}

/** One line of cells side by side, each fitted to `width`. */
function row(cells: string[], width: number): string {
  return cells
    .map((c) => fitWidth(c, width))
    .join(GAP)
    .trimEnd()
}

/** The rule under the column headings. */
function rule(n: number, width: number): string {
  return Array.from({ length: n }, () => '─'.repeat(width)).join('─┼─')
}

/** Blocks of lines side by side, each padded to `width`. */
function besideEachOther(blocks: string[][], width: number): string[] {
  const height = Math.max(...blocks.map((b) => b.length))
  return Array.from({ length: height }, (_, i) =>
    row(
      blocks.map((b) => b[i] ?? ''),
      width,
    ),
  )
}

/**
 * The final answers and figures of a run. In a terminal wide enough, the answers stand in columns side by side;
 * otherwise (or into a pipe) one section per target. Then the figures, one row per target.
 */
export function askReport(
  results: ReadonlyArray<TargetResult>,
  summary: RunFigures,
  options: { columns: number; style: Styles; sideBySide: boolean },
): string {
  const { style } = options
  const width = options.sideBySide ? sideBySideWidth(results.length, options.columns) : null
  const lines: string[] = []
  if (width !== null && results.length > 1) {
    lines.push(
      style.bold(
        row(
          results.map((r) => r.target),
          width,
        ),
      ),
      rule(results.length, width),
    )
    lines.push(
      ...besideEachOther(
        results.map((r) => wrapText(answerText(r), width)),
        width,
      ),
    )
  } else {
    for (const r of results) {
      const label = r.label && r.label !== r.target ? ` (${stripControls(r.label)})` : ''
      lines.push(style.bold(`## ${r.target}${label}`), '', answerText(r), '')
    }
  }
  lines.push('', ...figuresTable(results, summary, style))
  return `${lines.join('\n')}\n`
}

/**
 * Live columns in a terminal: one per target, side by side when they fit (else stacked sections), each showing
 * the end of its answer as it streams, redrawn at most every 50 ms in place (the cursor moves up over the last
 * frame). The frame never exceeds the terminal's height, so moving up always reaches its first line.
 */
export class LiveColumns {
  private readonly columns: Column[]
  private drawn = 0
  private timer: NodeJS.Timeout | null = null
  private closed = false

  constructor(
    targets: string[],
    private readonly out: Output,
    private readonly style: Styles,
  ) {
    this.columns = targets.map((target) => ({ target, text: '', reasoningChars: 0, status: 'waiting' }))
    this.draw()
  }

  readonly event = (event: RunEvent): void => {
    const column = this.columns[event.index]
    if (!column || this.closed) return
    switch (event.type) {
      case 'delta':
        if (event.kind === 'text') column.text += event.text
        else column.reasoningChars += event.text.length
        break
      case 'first-token':
        column.status = `TTFT ${formatMs(event.ttft_ms)}`
        break
      case 'retry':
        column.status = `retry ${event.attempt} in ${formatMs(event.wait_ms)}`
        break
      case 'restart':
        column.text = ''
        break
      case 'result':
        column.status =
          event.result.status === 'ok'
            ? `done in ${formatMs(event.result.timing.total_ms)}`
            : (errorLine(event.result) ?? event.result.status)
        break
    }
    this.schedule()
  }

  /** Removes the live frame, so the final report takes its place. */
  finish(): void {
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.clear()
  }

  private schedule(): void {
    if (this.timer || this.closed) return
    this.timer = setTimeout(() => {
      this.timer = null
      this.draw()
    }, 50)
  }

  private clear(): void {
    // Up to the frame's first line, then erase everything below.
    if (this.drawn > 0) this.out.write(`\x1b[${this.drawn}F\x1b[J`)
    this.drawn = 0
  }

  private status(c: Column): string {
    const thinking = c.reasoningChars > 0 && !c.text ? ` · thinking (${c.reasoningChars} chars)` : ''
    return stripControls(c.status) + thinking
  }

  /** The last `height` lines of a column's answer, wrapped to `width`. */
  private tail(c: Column, width: number, height: number): string[] {
    // Only the end is shown: sanitizing and wrapping the whole of a long answer on every frame would cost more
    // with every token.
    const recent = c.text.slice(-(width * height * 2 + 256))
    const lines = wrapText(stripControls(recent), width)
    return lines.slice(-height)
  }

  private frame(): string[] {
    // One line short of the screen: a frame as tall as the screen would scroll, and the cursor could not go
    // back up to its first line.
    const total = Math.max(4, this.out.rows - 1)
    const n = this.columns.length
    const width = n > 1 ? sideBySideWidth(n, this.out.columns) : this.out.columns - 1
    if (width !== null) {
      const body = Math.max(1, total - 3)
      return [
        this.style.bold(
          row(
            this.columns.map((c) => c.target),
            width,
          ),
        ),
        this.style.dim(
          row(
            this.columns.map((c) => this.status(c)),
            width,
          ),
        ),
        rule(n, width),
        ...besideEachOther(
          this.columns.map((c) => this.tail(c, width, body)),
          width,
        ),
      ]
    }
    const each = Math.max(1, Math.floor(total / n) - 1)
    const room = this.out.columns - 1
    return this.columns.flatMap((c) => [
      this.style.bold(truncate(`── ${c.target} · ${this.status(c)} `, room)),
      ...this.tail(c, room, each),
    ])
  }

  private draw(): void {
    if (this.closed) return
    const lines = this.frame()
    this.clear()
    this.out.write(`${lines.join('\n')}\n`)
    this.drawn = lines.length
  }
}
