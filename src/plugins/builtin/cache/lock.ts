/**
 * The cache lock (Pingora's): the first miss for a key fetches from the upstream while later
 * misses wait, up to the `lock` duration, for it to store the response, then look again. So N
 * concurrent misses make one upstream request instead of N (hostile-catalogue I5).
 */

/** Per-key locks with waiters; one instance per store, so every plugin on it shares them. */
export class CacheLocks {
  readonly #held = new Map<string, Array<() => void>>()

  /** Takes the lock of `key`; false when another request holds it. */
  tryAcquire(key: string): boolean {
    if (this.#held.has(key)) return false
    this.#held.set(key, [])
    return true
  }

  /** True while some request holds `key`. */
  isHeld(key: string): boolean {
    return this.#held.has(key)
  }

  /** Resolves true when `key` is released, false after `timeoutMs`. */
  wait(key: string, timeoutMs: number): Promise<boolean> {
    const waiters = this.#held.get(key)
    if (waiters === undefined) return Promise.resolve(true)
    return new Promise((resolve) => {
      let settled = false
      const timer = setTimeout(() => {
        settled = true
        resolve(false)
      }, timeoutMs)
      waiters.push(() => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        resolve(true)
      })
    })
  }

  /** Releases `key` and wakes every waiter. */
  release(key: string): void {
    const waiters = this.#held.get(key)
    if (waiters === undefined) return
    this.#held.delete(key)
    for (const wake of waiters) wake()
  }
}
