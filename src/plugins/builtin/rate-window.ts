/**
 * Per-key request counts in two fixed windows (previous and current), giving a sliding-window
 * estimate as Pingora's `Rate` does. Memory is bounded: past `maxKeys`, idle keys are swept and
 * then the oldest keys dropped, so spoofed keys cannot grow it without limit.
 */

interface Counter {
  window: number
  current: number
  previous: number
}

/** Sliding-window request counter per key. */
export class RateWindows {
  readonly #intervalMs: number
  readonly #weight: number
  readonly #maxKeys: number
  readonly #counters = new Map<string, Counter>()

  /** `weight` (0..1) is the share of the current window in the estimate. */
  constructor(intervalMs: number, weight: number, maxKeys = 100_000) {
    this.#intervalMs = Math.max(1, intervalMs)
    this.#weight = weight
    this.#maxKeys = maxKeys
  }

  get size(): number {
    return this.#counters.size
  }

  /** Counts one request for `key` at `now` and returns the weighted count of the window. */
  observe(key: string, now: number): number {
    const window = Math.floor(now / this.#intervalMs)
    let counter = this.#counters.get(key)
    if (counter === undefined) {
      if (this.#counters.size >= this.#maxKeys) this.#evict(window)
      counter = { window, current: 0, previous: 0 }
      this.#counters.set(key, counter)
    } else if (counter.window !== window) {
      counter.previous = counter.window === window - 1 ? counter.current : 0
      counter.current = 0
      counter.window = window
    }
    counter.current++
    return counter.previous * (1 - this.#weight) + counter.current * this.#weight
  }

  /** Milliseconds until the current window ends. */
  remaining(now: number): number {
    return this.#intervalMs - (now % this.#intervalMs)
  }

  #evict(window: number): void {
    for (const [key, counter] of this.#counters) {
      if (counter.window < window - 1) this.#counters.delete(key)
    }
    // Still full: drop the keys seen first (Map keeps insertion order) down to 90 %.
    const target = Math.floor(this.#maxKeys * 0.9)
    for (const key of this.#counters.keys()) {
      if (this.#counters.size <= target) break
      this.#counters.delete(key)
    }
  }
}
