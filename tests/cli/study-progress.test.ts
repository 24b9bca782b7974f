import { describe, expect, it } from 'vitest'
import type { Output } from '../../src/cli/cli-io.ts'
import { ProgressBar, progressLine } from '../../src/cli/study-progress.ts'

const progress = (done: number, errors: number) => ({
  progress: { done, total: 40, ok: done - errors, errors, cancelled: 0, pending: 40 - done },
  spend_so_far_usd: done === 0 ? null : done * 0.001,
})

function output(isTTY: boolean): Output & { text: () => string } {
  let text = ''
  const write = (t: string) => {
    text += t
  }
  return { write, isTTY, columns: 80, rows: 24, text: () => text }
}

describe('the study progress line', () => {
  it('says cells done of total, errors, spend and the time left at the pace so far', () => {
    expect(progressLine(progress(0, 0), 0)).toBe('0/40 cells, 0 errors, spend unknown')
    // 10 cells in 5 s: the other 30 at that pace take 15 s.
    expect(progressLine(progress(10, 1), 5000)).toBe('10/40 cells, 1 error, $0.01 spent, ~15 s left')
    expect(progressLine(progress(10, 2), 100_000)).toBe('10/40 cells, 2 errors, $0.01 spent, ~5 min 0 s left')
    expect(progressLine(progress(40, 0), 9000)).toBe('40/40 cells, 0 errors, $0.04 spent')
  })

  it('redraws one line in a terminal, and writes whole lines (not every change) elsewhere', () => {
    const tty = output(true)
    const bar = new ProgressBar(tty)
    bar.update(progress(0, 0))
    bar.update(progress(20, 0))
    bar.finish()
    expect(tty.text().split('\r\x1b[K')).toHaveLength(4)
    expect(tty.text()).toContain('[###############---------------] 20/40 cells')
    expect(tty.text().endsWith('\n')).toBe(true)

    const log = output(false)
    const plain = new ProgressBar(log)
    plain.update(progress(0, 0))
    plain.update(progress(1, 0))
    plain.update(progress(2, 0))
    plain.finish()
    // The first change, then (within 5 s) nothing until the end.
    expect(log.text().trimEnd().split('\n')).toEqual([
      'study: 0/40 cells, 0 errors, spend unknown',
      expect.stringMatching(/^study: 2\/40 cells, 0 errors, \$0\.002 spent/),
    ])
    expect(log.text()).not.toContain('\x1b')
  })
})
