import { performance } from 'node:perf_hooks'

/**
 * Starts `n` jobs at evenly spaced times over `spreadMs`, whatever the earlier ones are doing (open loop:
 * a slow server cannot slow the arrivals down and hide its queueing). Resolves once all have been started.
 */
export function openLoop<T>(n: number, spreadMs: number, start: (i: number) => T): Promise<T[]> {
  const started: T[] = []
  const t0 = performance.now()
  return new Promise((resolve) => {
    const tick = () => {
      const now = performance.now() - t0
      while (started.length < n && (started.length * spreadMs) / n <= now) started.push(start(started.length))
      if (started.length >= n) return resolve(started)
      setTimeout(tick, Math.max(0, (started.length * spreadMs) / n - (performance.now() - t0)))
    }
    tick()
  })
}
