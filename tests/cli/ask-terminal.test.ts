import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CliIo, Output } from '../../src/cli/cli-io.ts'
import { runCli } from '../../src/cli/run-cli.ts'
import { displayWidth } from '../../src/cli/terminal-text.ts'
import { type CliSandbox, cliSandbox } from '../helpers/cli.ts'
import { type FakeUpstream, startFakeUpstream } from '../helpers/fake-upstream.ts'
import { fakeConfig } from '../helpers/juxta.ts'

// `juxta ask` in a terminal, run in-process with a terminal-shaped stdout (a child process has no TTY to give):
// live columns redrawn in place, then the final columns and figures, with no control sequence from the answers.

let upstream: FakeUpstream
let sandbox: CliSandbox

beforeAll(async () => {
  upstream = await startFakeUpstream()
  upstream.script('evil', {
    kind: 'text',
    deltas: ['Hi \x1b[31mred', '\x1b[0m \x1b]0;pwned\x07 and ', '\x1b]52;c;ZXZpbA==\x07 \x9b2J', ' done'],
    everyMs: 80,
  })
  upstream.script('words', { kind: 'text', deltas: 40, everyMs: 10 })
  sandbox = cliSandbox(
    fakeConfig({
      up: {
        base_url: upstream.url,
        models: [
          { id: 'evil', price: { input: 1, output: 2 } },
          { id: 'words', price: { input: 1, output: 2 } },
        ],
      },
    }),
  )
})

afterAll(async () => {
  await upstream?.close()
  sandbox?.remove()
})

function terminal(columns: number, rows: number): Output & { text: () => string } {
  let text = ''
  const write = (t: string) => {
    text += t
  }
  return { write, isTTY: true, columns, rows, text: () => text }
}

async function askInTerminal(columns: number, rows: number): Promise<{ code: number; out: string; err: string }> {
  const stdout = terminal(columns, rows)
  const stderr = terminal(columns, rows)
  const io: CliIo = {
    env: sandbox.env,
    cwd: sandbox.dir,
    stdout,
    stderr,
    readStdin: async () => '',
    signal: new AbortController().signal,
  }
  const code = await runCli(['ask', '-t', 'up/evil', '-t', 'up/words', 'Be nice'], io)
  return { code, out: stdout.text(), err: stderr.text() }
}

/** Juxta's own sequences: bold, dim, red, green and their resets, and "up N lines, erase below". */
// biome-ignore lint/suspicious/noControlCharactersInRegex: Juxta's own escape sequences
const OWN = /\x1b\[(?:1|2|22|31|32|39)m|\x1b\[\d+F\x1b\[J/g

describe('juxta ask in a terminal', () => {
  it('draws live columns side by side, in place, within the terminal, without the answers’ controls', async () => {
    const { code, out, err } = await askInTerminal(100, 20)
    expect(err).toBe('')
    expect(code).toBe(0)
    // Redrawn in place: the cursor went back up over earlier frames.
    expect(out.split('F\x1b[J').length - 1).toBeGreaterThan(1)
    const visible = out.replace(OWN, '')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters
    expect(visible).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/)
    expect(visible).not.toMatch(/pwned|ZXZpbA/)
    // No line wider than the terminal, so the line count the cursor moves by is right.
    for (const line of visible.split('\n')) expect(displayWidth(line)).toBeLessThanOrEqual(100)
    // The final view: both answers side by side under their targets, then the figures.
    expect(visible).toMatch(/^up\/evil\s+│ up\/words$/m)
    expect(visible).toMatch(/^Hi red {2}and {3}done\s+│ w1 w2 w3/m)
    expect(visible).toMatch(/^target\s+status\s+TTFT/m)
    expect(visible).toMatch(/^up\/evil\s+ok\s+[\d.]+ m?s/m)
  })

  it('stacks the targets when the terminal is too narrow for columns', async () => {
    const { code, out } = await askInTerminal(50, 20)
    expect(code).toBe(0)
    const visible = out.replace(OWN, '')
    expect(visible).toMatch(/^── up\/evil · /m)
    expect(visible).toMatch(/^## up\/evil \(evil\)$/m)
    expect(visible).toMatch(/^## up\/words \(words\)$/m)
    for (const line of visible.split('\n').filter((l) => l.startsWith('──'))) {
      expect(displayWidth(line)).toBeLessThanOrEqual(50)
    }
  })
})
