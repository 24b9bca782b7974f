import { describe, expect, it } from 'vitest'
import { countWords, diffAnswers, similarity } from '../../src/compare/answer-diff.ts'

describe('diffAnswers', () => {
  it('gives the exact word operations and similarity of two known answers', () => {
    const d = diffAnswers('The quick brown fox jumps over the lazy dog.', 'The quick red fox jumped over the dog!')
    expect(d).toEqual({
      ok: true,
      ops: [
        { kind: 'same', text: 'The quick ' },
        { kind: 'del', text: 'brown' },
        { kind: 'ins', text: 'red' },
        { kind: 'same', text: ' fox ' },
        { kind: 'del', text: 'jumps' },
        { kind: 'ins', text: 'jumped' },
        { kind: 'same', text: ' over the ' },
        { kind: 'del', text: 'lazy ' },
        { kind: 'same', text: 'dog' },
        { kind: 'del', text: '.' },
        { kind: 'ins', text: '!' },
      ],
      // The, quick, fox, over, the, dog: 6 of 9 and 8 words.
      common: 6,
      wordsA: 9,
      wordsB: 8,
      similarity: 12 / 17,
    })
  })

  it('diffs the Markdown source: markup is text like any other', () => {
    const d = diffAnswers('Use `map()` to **transform** each item.', 'Use `forEach()` to transform each item.')
    expect(d.ok && d.ops).toEqual([
      { kind: 'same', text: 'Use `' },
      { kind: 'del', text: 'map' },
      { kind: 'ins', text: 'forEach' },
      { kind: 'same', text: '()` to ' },
      { kind: 'del', text: '**' },
      { kind: 'same', text: 'transform' },
      { kind: 'del', text: '**' },
      { kind: 'same', text: ' each item.' },
    ])
    expect(d.ok && d.similarity).toBe((2 * 5) / (6 + 6))
  })

  it('calls identical answers 100% similar and two empty ones too', () => {
    expect(diffAnswers('same words here', 'same words here')).toMatchObject({ ok: true, similarity: 1, common: 3 })
    expect(diffAnswers('', '')).toMatchObject({ ok: true, ops: [], similarity: 1 })
    expect(diffAnswers('only here', '')).toMatchObject({ ok: true, similarity: 0, wordsA: 2, wordsB: 0 })
  })

  it('refuses answers over the word limit, with the counts', () => {
    const d = diffAnswers('one two three four', 'one two', {
      maxWords: 3,
      maxChars: 1_000,
      maxEdits: 100,
      maxMs: 60_000,
    })
    expect(d).toMatchObject({ ok: false, reason: 'too-long', wordsA: 4, wordsB: 2 })
    expect(!d.ok && d.message).toBe('These answers are too long to diff here (4 and 2 words; at most 3 each).')
  })

  it('refuses answers over the character limit, whatever their word count (CJK, punctuation)', () => {
    const cjk = '中'.repeat(1_001)
    const d = diffAnswers(cjk, '文', { maxWords: 100, maxChars: 1_000, maxEdits: 100, maxMs: 60_000 })
    expect(d).toMatchObject({ ok: false, reason: 'too-long', wordsA: 1, wordsB: 1 })
    expect(!d.ok && d.message).toBe(
      'These answers are too long to diff here (1,001 and 1 characters; at most 1,000 each).',
    )
  })

  it('gives up, saying so, when the answers need more edits than the budget', () => {
    const d = diffAnswers('a b c d e f', 'u v w x y z', { maxWords: 100, maxChars: 1_000, maxEdits: 4, maxMs: 60_000 })
    expect(d).toMatchObject({ ok: false, reason: 'too-different' })
    expect(!d.ok && d.message).toBe(
      'These answers are too long and too different to diff here (more than 4 words inserted or deleted).',
    )
    expect(
      diffAnswers('a b c d e f', 'a b c d e g', { maxWords: 100, maxChars: 1_000, maxEdits: 4, maxMs: 60_000 }).ok,
    ).toBe(true)
  })
})

describe('word counting', () => {
  it('counts letters and digits runs, keeps inner apostrophes, ignores punctuation', () => {
    expect(countWords("Don't stop: 3 items, naïve café — ok?")).toBe(7)
    expect(countWords('** -- ``` ')).toBe(0)
    expect(similarity(3, 4, 8)).toBe(0.5)
  })
})
