import { describe, expect, it } from 'vitest'
import { runMarkdown, tableCell, type RunMarkdownTarget } from '../../src/web/run-markdown.ts'
import { unknownCost } from '../../src/domain/types.ts'

const known = (usd: number) => ({
  ...unknownCost('no-price'),
  source: 'computed' as const,
  reason: null,
  total_usd: usd,
})

const target = (over: Partial<RunMarkdownTarget>): RunMarkdownTarget => ({
  target: 'demo/fast',
  label: 'Fast',
  status: 'ok',
  ttft_ms: 150,
  total_ms: 1234,
  input_tokens: 12,
  output_tokens: 3456,
  cost: known(0.00123),
  error: null,
  text: 'The answer.',
  ...over,
})

describe('runMarkdown', () => {
  it('writes the prompt, a table of the figures and each answer under a heading with its target', () => {
    const md = runMarkdown({
      prompt: 'Why is the sky blue?\n# not a heading',
      system: null,
      targets: [
        target({}),
        target({
          target: 'p/m',
          label: 'Model M',
          status: 'error',
          ttft_ms: null,
          total_ms: 80,
          input_tokens: null,
          output_tokens: null,
          cost: unknownCost('no-price'),
          error: { kind: 'auth', message: 'bad\nkey', status: 401 } as RunMarkdownTarget['error'],
          text: '',
        }),
      ],
    })
    expect(md).toBe(
      [
        '## Prompt',
        '',
        '> Why is the sky blue?',
        '> # not a heading',
        '',
        '## Figures',
        '',
        '| Target | Status | TTFT | Total time | Tokens in | Tokens out | Cost |',
        '| --- | --- | ---: | ---: | ---: | ---: | --- |',
        '| Fast (demo/fast) | done | 150 ms | 1.23 s | 12 | 3,456 | $0.00123 |',
        '| Model M (p/m) | failed | — | 80 ms | — | — | unknown (no price known for this model) |',
        '',
        '## Fast (demo/fast)',
        '',
        'The answer.',
        '',
        '## Model M (p/m)',
        '',
        '_failed: auth — bad key_',
        '',
        '_(no answer)_',
        '',
      ].join('\n'),
    )
  })

  it('keeps the system prompt, and answers verbatim (code, math, pipes)', () => {
    const text = '```sh\na | b\n```\n\n$x^2$ | cell'
    const md = runMarkdown({ prompt: 'p', system: 'Be brief.\n\nVery.', targets: [target({ text })] })
    expect(md).toContain('System prompt:\n\n> Be brief.\n>\n> Very.\n')
    expect(md.endsWith(`## Fast (demo/fast)\n\n${text}\n`)).toBe(true)
  })

  it('escapes | (and the backslash before it) in table cells, and keeps each cell on one line', () => {
    expect(tableCell('a|b')).toBe('a\\|b')
    expect(tableCell('a\\|b')).toBe('a\\\\\\|b')
    expect(tableCell('two\n lines')).toBe('two lines')
    const md = runMarkdown({ prompt: 'p', system: null, targets: [target({ label: 'A | B', target: 'x/y|z' })] })
    const row = md.split('\n').find((l) => l.startsWith('| A'))!
    expect(row).toBe('| A \\| B (x/y\\|z) | done | 150 ms | 1.23 s | 12 | 3,456 | $0.00123 |')
    // Exactly the seven columns of the header: no unescaped pipe split a cell.
    expect(row.split(/(?<!\\)\|/).length - 2).toBe(7)
  })

  it('says a running target and an unknown cost in words, never $0', () => {
    const md = runMarkdown({
      prompt: 'p',
      system: null,
      targets: [target({ status: 'running', total_ms: null, cost: unknownCost('running') })],
    })
    expect(md).toContain('| streaming | 150 ms | — |')
    expect(md).toContain('unknown (still running)')
    expect(md).not.toContain('$0 ')
  })
})
