/**
 * A global cap on runs in flight (config `run.max_concurrent_runs`): compares, follow-ups and column retries
 * each hold one slot from before anything is recorded until their last upstream request has ended. A run
 * that gets no slot is refused at once (HTTP 429) rather than queued, so nothing is half-recorded.
 */
export class RunSlots {
  private active = 0

  constructor(readonly max: number) {}

  /** Seconds a refused client is told to wait (Retry-After): runs typically end within seconds. */
  readonly retryAfterSeconds = 5

  /** A release function (idempotent), or null when every slot is taken. */
  tryAcquire(): (() => void) | null {
    if (this.active >= this.max) return null
    this.active++
    let released = false
    return () => {
      if (released) return
      released = true
      this.active--
    }
  }

  /**
   * Why a run was refused, for the JSON API as it stands (lower case, like its other messages); a page shows it
   * as a sentence.
   */
  busyMessage(): string {
    return (
      `too many runs in progress (at most ${this.max} at once). ` +
      'Nothing was sent or recorded; try again in a few seconds.'
    )
  }

  get inFlight(): number {
    return this.active
  }
}
