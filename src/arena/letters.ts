import { randomInt } from 'node:crypto'

/** "A", "B", … "Z", then "AA", "AB", …: the name of the i-th answer of a blind run. */
export function letterOf(index: number): string {
  let n = index
  let out = ''
  do {
    out = String.fromCharCode(65 + (n % 26)) + out
    n = Math.floor(n / 26) - 1
  } while (n >= 0)
  return out
}

/** The index a letter names ("a" or "A" → 0), or null for anything that is not a letter name. */
export function indexOfLetter(letter: string): number | null {
  if (!/^[A-Za-z]{1,2}$/.test(letter)) return null
  let n = 0
  for (const ch of letter.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64)
  return n - 1
}

/**
 * A uniformly random order (Fisher-Yates with the OS's random source): which model answers as "A" must not
 * be guessable from the order the targets were ticked in.
 */
export function shuffled<T>(items: readonly T[], random: (max: number) => number = randomInt): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = random(i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}
