/**
 * Keep-alive pool of HTTP/1.1 connections to one backend: the proxy's default upstream
 * client (decisions §5 names undici; measured on this machine undici's per-request cost was
 * the largest single item of a proxied request, so plain HTTP/1.1 and TLS backends use this
 * client and undici keeps HTTP/2 and h2c). It offers the part of undici's Dispatcher the proxy
 * uses (`dispatch` with a new-style handler, `close`, `destroy`, `stats`) with undici's error
 * codes, so the forwarding code and the error mapping work with either.
 *
 * - At most `connections` sockets; further requests wait in FIFO order.
 * - Idle sockets are reused most-recent first and closed after the keep-alive timeout (the
 *   smaller of `idle_timeout` and the backend's `Keep-Alive: timeout` hint minus a second).
 * - One sweeper timer for all pools enforces `read_timeout` (no response head, or no body
 *   bytes, for that long) and the keep-alive timeout, instead of a timer per request.
 */
import { connect as netConnect, type Socket } from 'node:net'
import type { Readable } from 'node:stream'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import type { Dispatcher } from 'undici'
import { connectTimeout, poolClosed } from './errors.ts'
import { H1Connection, type ConnectionOwner, type ExchangeHandler } from './connection.ts'
import type { NativeParserBinding } from './native-parser.ts'
import { serializeRequestHead, type HeaderBag } from './request-head.ts'
import { SWEEPER } from './sweeper.ts'

/** How to reach the backend and how long to wait, all fixed when the pool is built. */
export interface H1PoolOptions {
  readonly host: string
  readonly port: number
  /** The Host header sent when the request has none (`host[:port]`). */
  readonly authority: string
  readonly tls: boolean
  readonly servername: string | undefined
  readonly rejectUnauthorized: boolean
  readonly connections: number
  readonly keepAliveTimeoutMs: number
  readonly connectTimeoutMs: number
  /** 0 = no read timeout. */
  readonly readTimeoutMs: number
  readonly tcpKeepAliveDelayMs: number | undefined
  readonly family: 4 | undefined
  readonly maxHeaderSize: number
  readonly parser: NativeParserBinding
}

/** Connection counts, as undici's PoolStats names them. */
export interface H1PoolStats {
  readonly connected: number
  readonly free: number
  readonly pending: number
  readonly running: number
  readonly size: number
}

interface Queued {
  readonly method: string
  readonly head: string
  readonly contentLength: number
  readonly body: Dispatcher.DispatchOptions['body']
  readonly handler: ExchangeHandler
}

/** Stands in for a controller when a request fails before it reached a connection. */
const NO_CONTROLLER = {
  aborted: false,
  paused: false,
  reason: null,
  abort(): void {},
  pause(): void {},
  resume(): void {},
}

/** The pool of one backend; see the file comment. */
export class H1Pool implements ConnectionOwner {
  readonly #options: H1PoolOptions
  readonly #all = new Set<H1Connection>()
  readonly #idle: H1Connection[] = []
  readonly #queue: Queued[] = []
  #session: Buffer | undefined
  #closing: Promise<void> | undefined
  #closed: (() => void) | undefined

  constructor(options: H1PoolOptions) {
    this.#options = options
    SWEEPER.add(this)
  }

  get parser(): NativeParserBinding {
    return this.#options.parser
  }

  get maxHeaderSize(): number {
    return this.#options.maxHeaderSize
  }

  get readTimeoutMs(): number {
    return this.#options.readTimeoutMs
  }

  /** True once close() or destroy() was called (undici's Pool has the same flag). */
  get closed(): boolean {
    return this.#closing !== undefined
  }

  get stats(): H1PoolStats {
    const running = this.#all.size - this.#idle.length
    return {
      connected: this.#all.size,
      free: this.#idle.length,
      pending: this.#queue.length,
      running,
      size: running + this.#queue.length,
    }
  }

  /** Sends one request; `handler` gets undici's new-style callbacks. */
  dispatch(options: Dispatcher.DispatchOptions, handler: ExchangeHandler): boolean {
    let queued: Queued
    try {
      if (this.#closing !== undefined) throw poolClosed()
      const hasBody = options.body !== null && options.body !== undefined
      const head = serializeRequestHead(
        options.method,
        options.path,
        (options.headers ?? {}) as HeaderBag,
        this.#options.authority,
        hasBody,
      )
      queued = {
        method: options.method,
        head: head.text,
        contentLength: head.contentLength,
        body: options.body,
        handler,
      }
    } catch (err) {
      handler.onResponseError?.(NO_CONTROLLER, err as Error)
      return false
    }
    const connection = this.#idle.pop() ?? this.#open()
    if (connection === undefined) {
      this.#queue.push(queued)
      return false
    }
    this.#start(connection, queued)
    return true
  }

  #start(connection: H1Connection, queued: Queued): void {
    const body = queued.body
    connection.run({
      method: queued.method,
      head: queued.head,
      contentLength: queued.contentLength,
      body: body === null || body === undefined ? null : (body as Readable),
      handler: queued.handler,
    })
  }

  /** A new connection when the pool has room; undefined when it is full. */
  #open(): H1Connection | undefined {
    if (this.#all.size >= this.#options.connections) return undefined
    const o = this.#options
    let socket: Socket
    if (o.tls) {
      const tls: TLSSocket = tlsConnect({
        host: o.host,
        port: o.port,
        ...(o.servername !== undefined ? { servername: o.servername } : {}),
        rejectUnauthorized: o.rejectUnauthorized,
        ALPNProtocols: ['http/1.1'],
        ...(this.#session !== undefined ? { session: this.#session } : {}),
        ...(o.family !== undefined ? { family: o.family } : {}),
      })
      tls.on('session', (session: Buffer) => {
        this.#session = session
      })
      socket = tls
    } else {
      socket = netConnect({
        host: o.host,
        port: o.port,
        ...(o.family !== undefined ? { family: o.family } : {}),
      })
    }
    socket.setNoDelay(true)
    if (o.tcpKeepAliveDelayMs !== undefined) socket.setKeepAlive(true, o.tcpKeepAliveDelayMs)
    const connection = new H1Connection(socket, this)
    this.#all.add(connection)
    this.#armConnectTimeout(socket, connection, o.tls ? 'secureConnect' : 'connect')
    return connection
  }

  #armConnectTimeout(socket: Socket, connection: H1Connection, ready: string): void {
    const ms = this.#options.connectTimeoutMs
    const timer = setTimeout(() => connection.destroy(connectTimeout(ms)), ms)
    const clear = (): void => clearTimeout(timer)
    socket.once(ready, clear)
    socket.once('close', clear)
  }

  release(connection: H1Connection, keepAliveHintMs: number): void {
    const next = this.#queue.shift()
    if (next !== undefined) {
      this.#start(connection, next)
      return
    }
    if (this.#closing !== undefined) {
      connection.destroy()
      return
    }
    const limit = this.#options.keepAliveTimeoutMs
    connection.keepAliveMs = keepAliveHintMs > 0 ? Math.min(limit, keepAliveHintMs - 1000) : limit
    if (connection.keepAliveMs <= 0) {
      connection.destroy()
      return
    }
    connection.idleSince = performance.now()
    this.#idle.push(connection)
  }

  forget(connection: H1Connection): void {
    this.#all.delete(connection)
    const at = this.#idle.indexOf(connection)
    if (at >= 0) this.#idle.splice(at, 1)
    // A request that waited for a slot gets the one this connection freed.
    if (this.#queue.length > 0 && this.#closing === undefined) {
      const fresh = this.#open()
      const next = fresh === undefined ? undefined : this.#queue.shift()
      if (fresh !== undefined && next !== undefined) this.#start(fresh, next)
    }
    if (this.#closing !== undefined && this.#all.size === 0 && this.#queue.length === 0) {
      this.#closed?.()
    }
  }

  /** Enforces read_timeout and the keep-alive timeout (called by the shared sweeper). */
  sweep(now: number): void {
    const read = this.#options.readTimeoutMs
    for (const connection of this.#all) {
      if (connection.busy) {
        if (read > 0 && !connection.paused && now - connection.lastProgress > read) {
          connection.timeOut()
        }
      } else if (now - connection.idleSince > connection.keepAliveMs) connection.destroy()
    }
  }

  /** Lets running and queued requests finish, then closes every connection. */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing
    this.#closing = new Promise<void>((resolve) => {
      this.#closed = resolve
    }).then(() => {
      SWEEPER.delete(this)
    })
    for (const connection of [...this.#idle]) connection.destroy()
    if (this.#all.size === 0 && this.#queue.length === 0) this.#closed?.()
    return this.#closing
  }

  /** Closes every connection now; running and queued requests fail. */
  destroy(): Promise<void> {
    const closing = this.close()
    for (const queued of this.#queue.splice(0)) {
      queued.handler.onResponseError?.(NO_CONTROLLER, poolClosed())
    }
    for (const connection of [...this.#all]) connection.destroy(poolClosed())
    return closing
  }
}
