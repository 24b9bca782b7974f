import type { AppContext } from '../context.ts'
import { retryTarget } from '../engine/run-service.ts'
import type { RunRegistry } from './run-registry.ts'

/**
 * "Retry this column" asked by another instance: runs the target again here, with no page stream of its own.
 * Its events reach the run's live log through the recorder, where the asking page follows them. False when
 * this instance does not hold the run or has no free run slot.
 */
export function retryInBackground(ctx: AppContext, registry: RunRegistry, runId: string, index: number): boolean {
  const run = registry.get(runId)
  if (!run?.request.targets[index]) return false
  const release = ctx.runSlots.tryAcquire()
  if (!release) {
    ctx.log(`live runs: retry of ${runId} column ${index} refused: ${ctx.runSlots.busyMessage()}`)
    return false
  }
  const controller = new AbortController()
  run.retries.get(index)?.abort()
  run.retries.set(index, controller)
  retryTarget(ctx, run.request, index, { signal: controller.signal })
    .then((result) => {
      run.results[index] = result
    })
    .catch((err: unknown) => ctx.log(`live runs: retry of ${runId} failed: ${String(err)}`))
    .finally(() => {
      if (run.retries.get(index) === controller) run.retries.delete(index)
      release()
    })
  return true
}
