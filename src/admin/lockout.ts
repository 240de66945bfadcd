/**
 * Per-IP lock-out after repeated authentication failures (spec §7.2): once an address has failed
 * `limit` times within the window (5 minutes), it gets 403 until the window ends. A limit of 0
 * turns the lock-out off.
 */

const WINDOW_MS = 5 * 60_000
/** Addresses tracked at most; the oldest is forgotten beyond this. */
const MAX_TRACKED = 10_000

interface Failures {
  count: number
  readonly since: number
}

export class FailureLimiter {
  readonly #limit: number
  readonly #windowMs: number
  readonly #failures = new Map<string, Failures>()

  constructor(limit: number, windowMs = WINDOW_MS) {
    this.#limit = limit
    this.#windowMs = windowMs
  }

  #entry(ip: string, now: number): Failures | undefined {
    const entry = this.#failures.get(ip)
    if (entry !== undefined && now - entry.since > this.#windowMs) {
      this.#failures.delete(ip)
      return undefined
    }
    return entry
  }

  /** True when `ip` has used up its failures in the current window. */
  blocked(ip: string, now = Date.now()): boolean {
    if (this.#limit <= 0) return false
    return (this.#entry(ip, now)?.count ?? 0) >= this.#limit
  }

  /** Counts one failure; returns the failures of `ip` in the window. */
  fail(ip: string, now = Date.now()): number {
    const entry = this.#entry(ip, now)
    if (entry !== undefined) return ++entry.count
    this.#failures.set(ip, { count: 1, since: now })
    if (this.#failures.size > MAX_TRACKED) {
      const oldest = this.#failures.keys().next().value
      if (oldest !== undefined) this.#failures.delete(oldest)
    }
    return 1
  }
}
