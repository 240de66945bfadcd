/**
 * The worker's side of a cluster scrape: a scrape asks the primary for the sum over every
 * worker and waits for the answer, with a deadline so a busy or gone primary turns into a 500
 * from the scrape instead of a hanging request.
 */

/** How long a worker waits for the primary's aggregate. */
export const AGGREGATE_TIMEOUT_MS = 10_000

/** The primary's answer to one request. */
export interface MetricsReply {
  readonly id: number
  readonly text?: string
  readonly error?: string
}

interface Pending {
  readonly resolve: (text: string) => void
  readonly reject: (err: Error) => void
  readonly timer: NodeJS.Timeout
}

export class MetricsRequests {
  readonly #ask: (id: number) => void
  readonly #timeoutMs: number
  readonly #pending = new Map<number, Pending>()
  #nextId = 1

  constructor(ask: (id: number) => void, timeoutMs = AGGREGATE_TIMEOUT_MS) {
    this.#ask = ask
    this.#timeoutMs = timeoutMs
  }

  /** Asks the primary; resolves with the text, rejects on an error answer or the deadline. */
  request(): Promise<string> {
    const id = this.#nextId++
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        reject(new Error(`no metrics from the primary within ${this.#timeoutMs} ms`))
      }, this.#timeoutMs)
      this.#pending.set(id, { resolve, reject, timer })
      this.#ask(id)
    })
  }

  /** Settles the request the primary answered (late or unknown answers are dropped). */
  settle(reply: MetricsReply): void {
    const pending = this.#pending.get(reply.id)
    if (pending === undefined) return
    this.#pending.delete(reply.id)
    clearTimeout(pending.timer)
    if (reply.text !== undefined) pending.resolve(reply.text)
    else pending.reject(new Error(reply.error ?? 'the primary sent no metrics'))
  }
}
