/**
 * Small deterministic randomness for statistics: the same seed (a study id, a vote set's key) always gives the
 * same bootstrap intervals, so a page shows the same numbers on every load and tests can pin them. Not for
 * anything secret.
 */

/**
 * cyrb53 (bryc, public domain): a fast 53-bit string hash with good avalanche, over UTF-16 code units.
 * Returned as a safe integer in [0, 2^53).
 */
export function cyrb53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed
  let h2 = 0x41c6ce57 ^ seed
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ ch, 2654435761)
    h2 = Math.imul(h2 ^ ch, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507)
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507)
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return 4294967296 * (2097151 & h2) + (h1 >>> 0)
}

/** A 32-bit unsigned hash of a string (cyrb53's two halves folded together), for seeding `seededRandom`. */
export function hashSeed(text: string): number {
  const h = cyrb53(text)
  return ((h % 4294967296) ^ Math.floor(h / 4294967296)) >>> 0
}

/** The 32-bit state a seed stands for: an integer is taken modulo 2^32, anything else is hashed as text. */
export function seedState(seed: string | number): number {
  if (typeof seed === 'number' && Number.isSafeInteger(seed)) return seed >>> 0
  return hashSeed(String(seed))
}

/**
 * mulberry32 (Tommy Ettinger, public domain): a 32-bit-state generator, uniform in [0, 1) with 2^-32
 * resolution. Plenty for bootstrap resampling (thousands of draws of indices below a few thousand).
 */
export function seededRandom(seed: string | number): () => number {
  let state = seedState(seed)
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** An integer uniform in [0, n) from a generator in [0, 1). */
export function randomIndex(random: () => number, n: number): number {
  return Math.floor(random() * n)
}
