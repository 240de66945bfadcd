/**
 * One timer for every HTTP/1.1 pool: four times a second it lets each pool fail requests past
 * `read_timeout` and close connections idle past their keep-alive time. A timer per request
 * would cost a timer insert and delete on every proxied request; a quarter-second precision is
 * plenty for timeouts counted in seconds.
 */

/** Something the sweeper visits. */
export interface Sweepable {
  sweep(now: number): void
}

const TICK_MS = 250

class Sweeper {
  readonly #members = new Set<Sweepable>()
  #timer: NodeJS.Timeout | undefined

  add(member: Sweepable): void {
    this.#members.add(member)
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#tick(), TICK_MS)
      // Idle pools must not keep the process alive.
      this.#timer.unref()
    }
  }

  delete(member: Sweepable): void {
    this.#members.delete(member)
    if (this.#members.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer)
      this.#timer = undefined
    }
  }

  #tick(): void {
    const now = performance.now()
    for (const member of this.#members) member.sweep(now)
  }
}

/** The process-wide sweeper. */
export const SWEEPER = new Sweeper()
