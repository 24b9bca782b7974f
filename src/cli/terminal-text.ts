// Text for a terminal. Model output and upstream messages are untrusted: an escape sequence in an answer could
// move the cursor, rewrite the screen, set the window title or write to the clipboard (OSC 52), so it is removed
// before anything reaches stdout or stderr.

// CSI (ESC [ or the 8-bit 0x9b) with its parameters; OSC, DCS, SOS, PM and APC strings up to BEL or ST (ESC \ or
// 0x9c), or to the end when unterminated; any other escape with its intermediate and final bytes.
const SEQUENCES =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[ -/]*[0-~]?/g // line-length-ok
// Every other C0 control but tab and line feed, DEL, and every C1 control.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g

/** The text without terminal control sequences or control characters (tab and line feed kept). */
export function stripControls(text: string): string {
  return text.replace(SEQUENCES, '').replace(CONTROLS, '')
}

/** Columns a code point takes in a terminal: 0 for combining marks and zero-width ones, 2 for wide ones. */
export function codePointWidth(cp: number): number {
  if (
    (cp >= 0x300 && cp <= 0x36f) ||
    (cp >= 0x200b && cp <= 0x200f) ||
    (cp >= 0x20d0 && cp <= 0x20ff) ||
    (cp >= 0xfe00 && cp <= 0xfe0f) ||
    (cp >= 0xe0100 && cp <= 0xe01ef)
  ) {
    return 0
  }
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) {
    return 2
  }
  return 1
}

/** Columns a string takes (no control characters in it). */
export function displayWidth(text: string): number {
  let width = 0
  for (const ch of text) width += codePointWidth(ch.codePointAt(0)!)
  return width
}

/** Cut to at most `width` columns, with `…` when something was cut. */
export function truncate(text: string, width: number): string {
  if (displayWidth(text) <= width) return text
  let out = ''
  let used = 0
  for (const ch of text) {
    const w = codePointWidth(ch.codePointAt(0)!)
    if (used + w > width - 1) break
    out += ch
    used += w
  }
  return `${out}…`
}

/** Padded with spaces to `width` columns (cut first when longer). */
export function fitWidth(text: string, width: number): string {
  const cut = truncate(text, width)
  return cut + ' '.repeat(Math.max(0, width - displayWidth(cut)))
}

/** Tabs to spaces (stops every 4 columns), so a column's width is what it looks like. */
function expandTabs(line: string): string {
  if (!line.includes('\t')) return line
  let out = ''
  for (const ch of line) out += ch === '\t' ? ' '.repeat(4 - (displayWidth(out) % 4)) : ch
  return out
}

/**
 * Lines of at most `width` columns: the text's own lines, wrapped at spaces, and a word longer than the width
 * broken where it reaches it.
 */
export function wrapText(text: string, width: number): string[] {
  const out: string[] = []
  for (const raw of text.split('\n')) {
    const line = expandTabs(raw)
    if (displayWidth(line) <= width) {
      out.push(line)
      continue
    }
    let current = ''
    let used = 0
    for (const word of line.split(/(?<= )/)) {
      const w = displayWidth(word)
      if (used + w <= width) {
        current += word
        used += w
        continue
      }
      if (used > 0) {
        out.push(current.trimEnd())
        current = ''
        used = 0
      }
      for (const ch of word) {
        const cw = codePointWidth(ch.codePointAt(0)!)
        if (used + cw > width) {
          out.push(current)
          current = ''
          used = 0
        }
        current += ch
        used += cw
      }
    }
    out.push(current.trimEnd())
  }
  return out
}

/** Bold, dim and red for a terminal that shows them; plain text otherwise (a pipe, or NO_COLOR set). */
export interface Styles {
  bold(text: string): string
  dim(text: string): string
  red(text: string): string
  green(text: string): string
}

const wrap = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`

export function styles(enabled: boolean): Styles {
  if (!enabled) {
    const plain = (text: string) => text
    return { bold: plain, dim: plain, red: plain, green: plain }
  }
  return { bold: wrap(1, 22), dim: wrap(2, 22), red: wrap(31, 39), green: wrap(32, 39) }
}

/** A table of text cells; a column of numbers is right-aligned. */
export function renderTable(
  headers: string[],
  rows: string[][],
  options: { align?: Array<'left' | 'right'>; style?: Styles } = {},
): string[] {
  const widths = headers.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))))
  const cell = (text: string, i: number) => {
    const pad = ' '.repeat(widths[i]! - displayWidth(text))
    return options.align?.[i] === 'right' ? pad + text : text + pad
  }
  const line = (cells: string[]) => cells.map(cell).join('  ').trimEnd()
  const head = line(headers)
  return [options.style ? options.style.bold(head) : head, ...rows.map(line)]
}
