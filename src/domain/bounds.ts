// Bounds on numbers that come from upstreams or imports. Shared by the parser that validates them, pricing
// and the history format, so whatever one accepts, the others store and re-import.

/**
 * The largest token count accepted (a thousand times the largest context window): beyond it a count is a
 * bug, and history's import format bounds counts the same way, so every stored run re-imports.
 */
export const MAX_TOKEN_COUNT = 1e12

/**
 * The most a single request may plausibly cost. Anything above it, reported by an upstream or computed from
 * absurd token counts, is rejected with a note rather than entering sums. At $10,000 a request is 1e16
 * pico-dollars, exact in a double and in SQLite's 64-bit integers (sums: see storage/spend.ts).
 */
export const MAX_REQUEST_USD = 10_000
