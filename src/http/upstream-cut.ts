/**
 * Closing upstream connections first, before the rest of a cancellation.
 *
 * When a client goes away, what matters to the upstream (and to the bill) is that its connection closes now.
 * Aborting a run's signal does that too, but through a long synchronous chain per stream (the SDK's own
 * controller, undici's abort with its error objects, the engine's bookkeeping): when 1,000 clients leave at
 * once, the last upstream closed waits for all the others' chains (`npm run bench`, figure 7b). So a body
 * being read registers a cut here, under the signal it was read with; `cutUpstreams(root)` destroys every
 * body registered under that signal or one linked to it, synchronously, and the abort itself can follow a
 * turn later. A cut body ends quietly: its reader waits for the signal's abort to resolve as cancelled.
 */

type Cut = () => void

const cuts = new WeakMap<AbortSignal, Set<Cut>>()
const roots = new WeakMap<AbortSignal, AbortSignal>()

function rootOf(signal: AbortSignal): AbortSignal {
  return roots.get(signal) ?? signal
}

/** Cuts registered under `derived` (e.g. `AbortSignal.any([root, …])`) belong to `root`'s group. */
export function linkCuts(derived: AbortSignal, root: AbortSignal): void {
  roots.set(derived, rootOf(root))
}

/** Registers `cut` under `signal`'s group; returns its removal. */
export function onCut(signal: AbortSignal, cut: Cut): () => void {
  const root = rootOf(signal)
  let set = cuts.get(root)
  if (!set) {
    set = new Set()
    cuts.set(root, set)
  }
  set.add(cut)
  return () => {
    set.delete(cut)
  }
}

/** Runs and removes every cut of `signal`'s group, synchronously, without error stacks (nobody reads them). */
export function cutUpstreams(signal: AbortSignal): void {
  const set = cuts.get(rootOf(signal))
  if (!set || set.size === 0) return
  withoutStacks(() => {
    for (const cut of set) {
      set.delete(cut)
      try {
        cut()
      } catch {
        // A cut that fails leaves its upstream to the abort that follows.
      }
    }
  })
}

/**
 * Runs `fn` with error stack capture off: the errors a cancellation creates by the thousand (abort reasons,
 * undici's aborted-request errors, which Node streams format eagerly on destroy) are never shown.
 */
export function withoutStacks<T>(fn: () => T): T {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    return fn()
  } finally {
    Error.stackTraceLimit = limit
  }
}

/** Aborts waiting for `abortSoon`'s flush, and when it is due. */
let queued: AbortController[] = []
let flushTimer: NodeJS.Timeout | null = null
let firstQueuedAt = 0
/** Quiet time after the last queued abort before the queue is flushed, and the longest any abort waits. */
const QUIET_MS = 5
const MAX_WAIT_MS = 250

/**
 * Aborts `controller` soon, after the cuts still arriving: when 1,000 clients leave at once, each one's
 * `cutUpstreams` runs first and the aborts' longer chains after all of them, as one batch (the batch waits
 * while more arrive, up to MAX_WAIT_MS). Call it after `cutUpstreams(controller.signal)`.
 */
export function abortSoon(controller: AbortController): void {
  if (queued.length === 0) firstQueuedAt = performance.now()
  queued.push(controller)
  if (flushTimer) clearTimeout(flushTimer)
  const wait = Math.max(0, Math.min(QUIET_MS, firstQueuedAt + MAX_WAIT_MS - performance.now()))
  flushTimer = setTimeout(flushAborts, wait)
}

function flushAborts(): void {
  flushTimer = null
  const batch = queued
  queued = []
  withoutStacks(() => {
    for (const controller of batch) {
      try {
        controller.abort()
      } catch {
        // An abort listener that throws must not keep the other runs from being aborted.
      }
    }
  })
}
