/**
 * A coalescing "something changed" flag that an async generator can wait on: config watchers
 * (file, memory) mark changes from callbacks and yield once per burst to their consumer.
 */

/** Changes marked with `notify()`, yielded once per burst by `until()`. */
export class ChangeSignal {
  #pending = false
  #wake: (() => void) | undefined

  /** Marks a change and wakes the waiting generator. */
  notify(): void {
    this.#pending = true
    this.#wake?.()
  }

  /** Yields once for each burst of `notify()` calls until `signal` aborts. */
  async *until(signal: AbortSignal): AsyncGenerator<void> {
    const onAbort = (): void => this.#wake?.()
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      while (!signal.aborted) {
        if (this.#pending) {
          this.#pending = false
          yield
          continue
        }
        await new Promise<void>((resolve) => {
          this.#wake = resolve
        })
        this.#wake = undefined
      }
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }
}
