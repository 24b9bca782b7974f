// `npm run bench:diff`: how long the word diff of two answers takes, by length and by how much they
// differ, with the limits Juxta uses (src/compare/answer-diff.ts). Prints one row per case, median of 3 runs.
import { performance } from 'node:perf_hooks'
import { DIFF_LIMITS, diffAnswers } from '../src/compare/answer-diff.ts'

let seed = 42
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648
}
// English-like: a few very common words, a long tail of rarer ones (roughly Zipf), sentences with punctuation.
const vocabulary = Array.from({ length: 4000 }, (_, i) => `w${i.toString(36)}`)
const word = () => vocabulary[Math.floor(random() ** 3 * vocabulary.length)]!
function answer(words: number): string[] {
  return Array.from({ length: words }, (_, i) => (i % 14 === 13 ? `${word()}.` : word()))
}
/** A copy of `base` with a share of its words replaced. */
const edited = (base: string[], share: number) => base.map((w) => (random() < share ? word() : w))

const cases: Array<{ name: string; words: number; make: (base: string[]) => string[] }> = []
for (const words of [1_000, 5_000, 20_000]) {
  cases.push({ name: 'identical', words, make: (b) => b })
  cases.push({ name: '2% words changed', words, make: (b) => edited(b, 0.02) })
  cases.push({ name: '5% words changed', words, make: (b) => edited(b, 0.05) })
  cases.push({ name: 'unrelated', words, make: () => answer(words) })
}

const rows: string[] = []
for (const c of cases) {
  const base = answer(c.words)
  const a = base.join(' ')
  const b = c.make(base).join(' ')
  const times: number[] = []
  let outcome = ''
  for (let i = 0; i < 3; i++) {
    const start = performance.now()
    const d = diffAnswers(a, b)
    times.push(performance.now() - start)
    outcome = d.ok ? `${Math.round(d.similarity * 100)}% similar, ${d.ops.length} ops` : d.reason
  }
  times.sort((x, y) => x - y)
  rows.push(`| ${c.words.toLocaleString('en-US')} | ${c.name} | ${Math.round(times[1]!)} ms | ${outcome} |`)
}
console.log(`Limits: ${DIFF_LIMITS.maxWords} words per answer, ${DIFF_LIMITS.maxEdits} word edits.`)
console.log('| words per answer | pair | median time | outcome |\n|---|---|---|---|')
console.log(rows.join('\n'))
