/**
 * Turns a stream of probe results into a healthy/unhealthy flag with hysteresis. Defaults
 * follow Pingap: 1 success to recover, 2 failures to fail.
 */
export class HealthTracker {
  readonly #successThreshold: number
  readonly #failureThreshold: number
  #successes = 0
  #failures = 0
  #healthy: boolean

  /** Backends start healthy until proven otherwise, unless told otherwise (a carried flag). */
  constructor(successThreshold = 1, failureThreshold = 2, healthy = true) {
    this.#successThreshold = Math.max(1, successThreshold)
    this.#failureThreshold = Math.max(1, failureThreshold)
    this.#healthy = healthy
  }

  get healthy(): boolean {
    return this.#healthy
  }

  /** Records one probe result; true when the flag flipped. */
  record(ok: boolean): boolean {
    if (ok) {
      this.#failures = 0
      this.#successes++
      if (!this.#healthy && this.#successes >= this.#successThreshold) return this.#flip()
    } else {
      this.#successes = 0
      this.#failures++
      if (this.#healthy && this.#failures >= this.#failureThreshold) return this.#flip()
    }
    return false
  }

  #flip(): boolean {
    this.#healthy = !this.#healthy
    this.#successes = 0
    this.#failures = 0
    return true
  }
}
