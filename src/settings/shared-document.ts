/** One stored version of a settings document. */
export interface DocumentVersion {
  text: string
  /** Grows by one per write; 0 means none stored yet. */
  version: number
}

/**
 * A settings document shared by every instance (the stored keys, the custom providers), kept in a database.
 * Writes are conditional on the version read, so two instances changing it at once never lose a change unseen:
 * the loser reads the winner's document and applies its own change again.
 */
export interface SharedDocument {
  /** For messages: e.g. `database document "keys"`. */
  readonly description: string
  read(): Promise<DocumentVersion | undefined>
  /** Stores `text` as version `version + 1` if `version` is still the stored one; false when another wrote first. */
  write(text: string, version: number): Promise<boolean>
}

/** Runs async steps one at a time, in call order (a failed step does not stop the next). */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve()

  run<T>(step: () => Promise<T>): Promise<T> {
    const result = this.tail.then(step)
    this.tail = result.catch(() => {})
    return result
  }
}

/** How many times a change is tried again after another instance wrote the same document first. */
export const WRITE_ATTEMPTS = 5
