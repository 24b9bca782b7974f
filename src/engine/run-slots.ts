/**
 * A global cap on runs in flight (config `run.max_concurrent_runs`): compares, follow-ups and column retries
 * each hold one slot from before anything is recorded until their last upstream request has ended. A run
 * that gets no slot is refused at once (HTTP 429) rather than queued, so nothing is half-recorded.
 */
export class RunSlots {
  private active = 0
  private refusal: string | null = null

  /**
   * @param held why new runs must wait whatever the slots (the history database away with too much kept in
   *   memory), or null: checked at every acquire.
   */
  constructor(
    readonly max: number,
    private readonly held: () => string | null = () => null,
  ) {}

  /** Seconds a refused client is told to wait (Retry-After): runs typically end within seconds. */
  readonly retryAfterSeconds = 5

  /** A release function (idempotent), or null when every slot is taken. */
  tryAcquire(): (() => void) | null {
    this.refusal = this.held()
    if (this.refusal !== null || this.active >= this.max) return null
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
    if (this.refusal !== null) return this.refusal
    return (
      `too many runs in progress (at most ${this.max} at once). ` +
      'Nothing was sent or recorded; try again in a few seconds.'
    )
  }

  get inFlight(): number {
    return this.active
  }
}
