/**
 * pingap-ts's own HTTP/1 server for plain-text listeners: a net.Server whose connections are
 * parsed by Node's native llhttp (connection.ts) and answered with light request and response
 * objects (request.ts, response.ts) instead of node:http's IncomingMessage and ServerResponse.
 * Same events and fields as node:http's Server as far as listeners.ts uses them, so the proxy
 * does not know which one it runs on. Why: node:http's per-request machinery (two streams,
 * socket timers re-armed per request, ~8 KB of allocation) was most of the CPU pingap-ts spent
 * per proxied request beyond the syscalls (docs/performance.md).
 *
 * Timeouts are swept, not timed per connection: every `connectionsCheckingInterval` the server
 * looks at each connection's times — a request head unfinished after `headersTimeout` gets 408
 * (through 'clientError', as node:http), an idle keep-alive connection past `keepAliveTimeout`
 * is closed, and a response whose client has read nothing for `timeout` ms is cut off.
 */
import { Server as NetServer, type Socket } from 'node:net'
import type { NativeParserBinding } from '../../upstream/h1/native-parser.ts'
import { Http1Connection, type ConnectionHost } from './connection.ts'

export interface Http1ServerOptions {
  readonly maxHeaderSize: number
  /** How often timeouts are checked, ms. */
  readonly connectionsCheckingInterval: number
  /** TCP keep-alive probes on client sockets. */
  readonly keepAlive: boolean
}

export class Http1Server extends NetServer implements ConnectionHost {
  readonly parser: NativeParserBinding
  readonly maxHeaderSize: number
  /** A request head must be complete this long after it began (0 = no limit), ms. */
  headersTimeout = 60_000
  /** Accepted for node:http compatibility; the proxy bounds bodies with idle timeouts. */
  requestTimeout = 0
  /** An idle keep-alive connection closes after this long, ms. */
  keepAliveTimeout = 5_000
  /** A response whose client reads nothing for this long is cut off (0 = never), ms. */
  timeout = 0
  /** Accepted for node:http compatibility: the proxy counts header fields itself. */
  maxHeadersCount: number | null = null
  readonly #connections = new Set<Http1Connection>()
  readonly #checkEveryMs: number
  #sweeper: NodeJS.Timeout | undefined

  constructor(parser: NativeParserBinding, options: Http1ServerOptions) {
    // Half-open is handled per connection (connection.ts), as node:http does.
    super({ allowHalfOpen: true, noDelay: true, keepAlive: options.keepAlive })
    this.parser = parser
    this.maxHeaderSize = options.maxHeaderSize
    this.#checkEveryMs = options.connectionsCheckingInterval
    this.on('connection', this.#accept)
    this.on('listening', this.#startSweeping)
    this.on('close', this.#stopSweeping)
  }

  readonly #accept = (socket: Socket): void => {
    this.#connections.add(new Http1Connection(socket, this))
  }

  forget(connection: Http1Connection): void {
    this.#connections.delete(connection)
  }

  /** Closes every connection with no request in flight (node:http's method of that name). */
  closeIdleConnections(): void {
    for (const connection of this.#connections) {
      if (connection.idle) connection.socket.destroy()
    }
  }

  /** Closes every connection this server parses (upgraded sockets are not its any more). */
  closeAllConnections(): void {
    for (const connection of this.#connections) connection.socket.destroy()
  }

  /** Stops accepting and closes idle connections, as node:http's close() (Node ≥ 19). */
  override close(callback?: (err?: Error) => void): this {
    super.close(callback)
    this.closeIdleConnections()
    return this
  }

  readonly #startSweeping = (): void => {
    if (this.#sweeper !== undefined) return
    this.#sweeper = setInterval(this.#sweep, this.#checkEveryMs)
    this.#sweeper.unref()
  }

  readonly #stopSweeping = (): void => {
    clearInterval(this.#sweeper)
    this.#sweeper = undefined
  }

  readonly #sweep = (): void => {
    const now = Date.now()
    for (const connection of this.#connections) this.#check(connection, now)
  }

  #check(connection: Http1Connection, now: number): void {
    const started = connection.headStartedAt
    if (started > 0 && this.headersTimeout > 0 && now - started > this.headersTimeout) {
      connection.headersTimedOut()
      return
    }
    if (connection.idle) {
      const since = connection.idleSince
      if (since > 0 && this.keepAliveTimeout > 0 && now - since > this.keepAliveTimeout) {
        connection.socket.destroy()
      }
      return
    }
    this.#checkWriteStall(connection, now)
  }

  /** Cuts off a connection whose unsent response bytes have not moved for `timeout` ms. */
  #checkWriteStall(connection: Http1Connection, now: number): void {
    const pending = connection.socket.writableLength
    if (pending === 0 || this.timeout <= 0) {
      connection.stalledLength = 0
      return
    }
    if (pending !== connection.stalledLength) {
      connection.stalledLength = pending
      connection.stalledSince = now
    } else if (now - connection.stalledSince > this.timeout) {
      connection.socket.destroy()
    }
  }
}
