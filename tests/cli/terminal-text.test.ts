import { describe, expect, it } from 'vitest'
import { displayWidth, fitWidth, renderTable, stripControls, truncate, wrapText } from '../../src/cli/terminal-text.ts'

describe('stripControls', () => {
  it('removes whole escape sequences (CSI, OSC, DCS, 8-bit CSI) and lone controls, keeping tab and newline', () => {
    const cases: Array<[string, string]> = [
      ['a\x1b[31mred\x1b[0m b', 'ared b'],
      ['\x1b[2J\x1b[Hhome', 'home'],
      ['\x1b]0;title\x07x', 'x'],
      ['\x1b]52;c;ZXZpbA==\x1b\\y', 'y'],
      ['\x1bP+q\x1b\\z', 'z'],
      ['\x9b2Jw', 'w'],
      ['\x9d8;;http://x\x9clink', 'link'],
      ['a\x07b\x08c\rd\x7fe\x85f', 'abcdef'],
      ['keep\ttab\nand newline', 'keep\ttab\nand newline'],
      // Unterminated: everything to the end goes, never the ESC alone.
      ['ok \x1b]0;never ends', 'ok '],
      ['\x1b7saved\x1b8', 'saved'],
    ]
    for (const [input, output] of cases) expect({ input, out: stripControls(input) }).toEqual({ input, out: output })
  })

  it('leaves ordinary Unicode alone', () => {
    expect(stripControls('naïve café 数据 🙂 — “quotes”')).toBe('naïve café 数据 🙂 — “quotes”')
  })
})

describe('widths and wrapping', () => {
  it('counts wide characters as two columns and combining marks as none', () => {
    expect(displayWidth('abc')).toBe(3)
    expect(displayWidth('数据')).toBe(4)
    expect(displayWidth('e\u0301')).toBe(1)
    expect(displayWidth('🙂')).toBe(2)
  })

  it('wraps at spaces, breaks a word longer than the width, keeps empty lines and expands tabs', () => {
    expect(wrapText('the quick brown fox jumps', 10)).toEqual(['the quick', 'brown fox', 'jumps'])
    expect(wrapText('abcdefghijklmnopqrstuvwxyz', 10)).toEqual(['abcdefghij', 'klmnopqrst', 'uvwxyz'])
    expect(wrapText('one\n\ntwo', 10)).toEqual(['one', '', 'two'])
    expect(wrapText('a\tb', 10)).toEqual(['a   b'])
    for (const line of wrapText('数据数据数据数据数据 and more words here', 7)) {
      expect(displayWidth(line)).toBeLessThanOrEqual(7)
    }
  })

  it('truncates with an ellipsis and pads to a width', () => {
    expect(truncate('abcdefgh', 5)).toBe('abcd…')
    expect(truncate('abc', 5)).toBe('abc')
    expect(fitWidth('ab', 4)).toBe('ab  ')
    expect(displayWidth(fitWidth('数据数据数据', 5))).toBeLessThanOrEqual(5)
  })

  it('renders a table with aligned columns, numbers to the right', () => {
    expect(
      renderTable(
        ['name', 'n'],
        [
          ['a', '1'],
          ['bbb', '100'],
        ],
        { align: ['left', 'right'] },
      ),
    ).toEqual(['name    n', 'a       1', 'bbb   100'])
  })
})
