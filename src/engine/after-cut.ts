/**
 * Holds the work that follows a cut (the token estimate of a cancelled target, its pricing and final write)
 * until cuts stop arriving, then lets all of it go at once. When a thousand streams are cut together, the
 * cancellations themselves (closing each upstream connection) come first, instead of queuing behind a thousand
 * estimates, or behind the tokenizer's first load, which blocks the event loop for a second or more.
 */
export class AfterCut {
  private waiting: Array<() => void> = []
  private timer: NodeJS.Timeout | null = null

  /** @param quietMs how long no new cut must arrive before the held work goes. */
  constructor(private readonly quietMs = 25) {}

  /** Resolves once no cut has arrived for `quietMs`. */
  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve)
      if (this.timer) this.timer.refresh()
      else this.timer = setTimeout(() => this.release(), this.quietMs)
    })
  }

  private release(): void {
    this.timer = null
    const waiting = this.waiting
    this.waiting = []
    for (const resolve of waiting) resolve()
  }
}
