import { performance } from 'node:perf_hooks'
import { diffWords } from 'diff'

/** One stretch of a word diff: in both answers, only in the second (`ins`) or only in the first (`del`). */
export interface DiffOp {
  kind: 'same' | 'ins' | 'del'
  text: string
}

export interface DiffLimits {
  /** Longest answer diffed, in words. */
  maxWords: number
  /**
   * Longest answer diffed, in characters: a run of CJK text or of punctuation counts as one word or none, yet
   * the diff still splits and walks all of it (3.9 M characters of CJK took 7.7 s).
   */
  maxChars: number
  /**
   * Most word insertions plus deletions searched for. Myers' diff costs about the square of the edits whatever
   * the length, so this bounds the time deterministically; `npm run bench:diff` measures it.
   */
  maxEdits: number
  /** A safety net on a machine too busy for the edit bound alone: give up after this many milliseconds. */
  maxMs: number
}

// Measured (bench/answer-diff.ts, 2 cores): 2,000 edits took 0.55 s quiet and 1.3 s with the cores shared five
// ways; 1,500 take about half of that.
export const DIFF_LIMITS: DiffLimits = { maxWords: 20_000, maxChars: 200_000, maxEdits: 1_500, maxMs: 800 }

export type AnswerDiff =
  | {
      ok: true
      ops: DiffOp[]
      /** Words in both answers, counted once per answer's side (see `similarity`). */
      common: number
      wordsA: number
      wordsB: number
      /** 2 · common / (wordsA + wordsB), from 0 to 1; 1 for two empty answers. */
      similarity: number
    }
  | { ok: false; reason: 'too-long' | 'too-different'; message: string; wordsA: number; wordsB: number }

// Letters, marks and digits, with inner apostrophes ("don't"): punctuation and spaces are not words.
const WORD = /[\p{L}\p{M}\p{N}_]+(?:['’][\p{L}\p{M}\p{N}_]+)*/gu

export function countWords(text: string): number {
  let n = 0
  for (const _ of text.matchAll(WORD)) n++
  return n
}

/**
 * Word-level differences between two answers (their Markdown source, as text: callers escape it), and how
 * much of their wording they share. Answers over the limits are not diffed; the result says why.
 */
export function diffAnswers(a: string, b: string, limits: DiffLimits = DIFF_LIMITS): AnswerDiff {
  const wordsA = countWords(a)
  const wordsB = countWords(b)
  if (Math.max(wordsA, wordsB) > limits.maxWords) {
    return {
      ok: false,
      reason: 'too-long',
      message:
        `These answers are too long to diff here (${wordsA.toLocaleString('en-US')} and ` +
        `${wordsB.toLocaleString('en-US')} words; at most ${limits.maxWords.toLocaleString('en-US')} each).`,
      wordsA,
      wordsB,
    }
  }
  if (Math.max(a.length, b.length) > limits.maxChars) {
    return {
      ok: false,
      reason: 'too-long',
      message:
        `These answers are too long to diff here (${a.length.toLocaleString('en-US')} and ` +
        `${b.length.toLocaleString('en-US')} characters; at most ${limits.maxChars.toLocaleString('en-US')} each).`,
      wordsA,
      wordsB,
    }
  }
  const started = performance.now()
  const changes = diffWords(a, b, { maxEditLength: limits.maxEdits, timeout: limits.maxMs })
  if (!changes) {
    const slow = performance.now() - started >= limits.maxMs
    return {
      ok: false,
      reason: 'too-different',
      message:
        'These answers are too long and too different to diff here ' +
        (slow
          ? `(the diff did not finish in ${limits.maxMs / 1000} s).`
          : `(more than ${limits.maxEdits.toLocaleString('en-US')} words inserted or deleted).`),
      wordsA,
      wordsB,
    }
  }
  const ops: DiffOp[] = []
  let common = 0
  for (const c of changes) {
    const kind = c.added ? 'ins' : c.removed ? 'del' : 'same'
    if (kind === 'same') common += countWords(c.value)
    const last = ops[ops.length - 1]
    if (last && last.kind === kind) last.text += c.value
    else ops.push({ kind, text: c.value })
  }
  return { ok: true, ops, common, wordsA, wordsB, similarity: similarity(common, wordsA, wordsB) }
}

export function similarity(common: number, wordsA: number, wordsB: number): number {
  return wordsA + wordsB === 0 ? 1 : (2 * common) / (wordsA + wordsB)
}
