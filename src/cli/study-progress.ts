import { formatUsd } from '../pricing/money.ts'
import type { StudyProgressEvent } from '../studies/types.ts'
import type { Output } from './cli-io.ts'

/** How often a progress line is written when stderr is not a terminal (a log, CI). */
const PLAIN_EVERY_MS = 5000

function duration(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)} s`
  const m = Math.floor(seconds / 60)
  if (m < 60) return `${m} min ${Math.round(seconds % 60)} s`
  return `${Math.floor(m / 60)} h ${m % 60} min`
}

/** The progress line: done/total, errors, spend so far, time left at the pace so far. */
export function progressLine(
  event: Pick<StudyProgressEvent, 'progress' | 'spend_so_far_usd'>,
  elapsedMs: number,
): string {
  const { done, total, errors } = event.progress
  const spend = event.spend_so_far_usd === null ? 'spend unknown' : `${formatUsd(event.spend_so_far_usd)} spent`
  const eta = done > 0 && done < total ? `, ~${duration(((elapsedMs / done) * (total - done)) / 1000)} left` : ''
  return `${done}/${total} cells, ${errors} error${errors === 1 ? '' : 's'}, ${spend}${eta}`
}

/**
 * The study's progress on stderr: in a terminal, one bar redrawn in place (on every change and every second, so
 * the time left moves); elsewhere, a line every few seconds and at the end.
 */
export class ProgressBar {
  private last: Pick<StudyProgressEvent, 'progress' | 'spend_so_far_usd'> | null = null
  private lastPlainAt = Number.NEGATIVE_INFINITY
  private readonly ticker: NodeJS.Timeout | null
  private readonly startedAt = Date.now()

  constructor(private readonly out: Output) {
    this.ticker = out.isTTY ? setInterval(() => this.draw(), 1000) : null
  }

  update(event: Pick<StudyProgressEvent, 'progress' | 'spend_so_far_usd'>): void {
    this.last = event
    if (this.out.isTTY) this.draw()
    else if (Date.now() - this.lastPlainAt >= PLAIN_EVERY_MS) this.plain()
  }

  /** The last state once more, ending the line. */
  finish(): void {
    if (this.ticker) clearInterval(this.ticker)
    if (!this.last) return
    if (this.out.isTTY) {
      this.draw()
      this.out.write('\n')
    } else {
      this.plain()
    }
  }

  private plain(): void {
    if (!this.last) return
    this.lastPlainAt = Date.now()
    this.out.write(`study: ${progressLine(this.last, Date.now() - this.startedAt)}\n`)
  }

  private draw(): void {
    if (!this.last) return
    const { done, total } = this.last.progress
    const text = progressLine(this.last, Date.now() - this.startedAt)
    const width = Math.max(10, Math.min(30, this.out.columns - text.length - 4))
    const filled = total === 0 ? width : Math.round((done / total) * width)
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`
    // Back to the line's start and erase it: the bar is always one line, shorter than the terminal.
    this.out.write(`\r\x1b[K${`${bar} ${text}`.slice(0, this.out.columns - 1)}`)
  }
}
