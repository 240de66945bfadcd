/**
 * The server-sent event stream the UI listens to (`GET /api/v1/events`): `version.published`,
 * `version.rejected` and `audit`, plus a comment every 15 s so proxies keep the stream open.
 */
import type { ServerResponse } from 'node:http'

const KEEPALIVE_MS = 15_000
/** Streams kept at most (each holds a socket). */
const MAX_CLIENTS = 100

export class EventHub {
  readonly #clients = new Set<ServerResponse>()
  #timer: NodeJS.Timeout | undefined
  #nextId = 1

  /** Number of open streams. */
  get size(): number {
    return this.#clients.size
  }

  /** Turns `res` into an event stream until the client goes away. */
  attach(res: ServerResponse): void {
    if (this.#clients.size >= MAX_CLIENTS) {
      const oldest = this.#clients.values().next().value
      oldest?.end()
      if (oldest !== undefined) this.#clients.delete(oldest)
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
    res.write(': connected\n\n')
    this.#clients.add(res)
    res.once('close', () => this.#clients.delete(res))
    this.#timer ??= setInterval(() => this.#ping(), KEEPALIVE_MS).unref()
  }

  /** Sends one event to every stream. */
  publish(event: string, data: unknown): void {
    const frame = `id: ${this.#nextId++}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`
    for (const res of this.#clients) res.write(frame)
  }

  #ping(): void {
    for (const res of this.#clients) res.write(': ping\n\n')
  }

  /** Ends every stream. */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    for (const res of this.#clients) res.end()
    this.#clients.clear()
  }
}
