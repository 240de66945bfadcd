/**
 * One keep-alive HTTP/1.1 connection to a backend, carrying one request at a time. Responses
 * are parsed by Node's native llhttp (native-parser.ts); the request head is written in one
 * piece and the body streamed with back-pressure. After a response the connection goes back to
 * its pool only when it is clean: the response said keep-alive, the request body was fully
 * sent, and not one byte arrived beyond the response (bytes nobody asked for are a response
 * smuggled in by the backend, so the connection is dropped instead of being reused).
 */
import { holdWrites } from '../../core/write-batch.ts'
import type { IncomingHttpHeaders } from 'node:http'
import type { Socket } from 'node:net'
import type { Readable } from 'node:stream'
import {
  bodyLengthMismatch,
  bodyTimeout,
  headersTimeout,
  invalidResponse,
  socketClosed,
} from './errors.ts'
import { releaseParser, type NativeParser, type NativeParserBinding } from './native-parser.ts'
import { toHeaderObject, keepAliveHintMs } from './response-headers.ts'

/** The handler side of one exchange, a subset of undici's DispatchHandler. */
export interface ExchangeHandler {
  onRequestStart?(controller: ExchangeController, context: unknown): void
  onResponseStart?(
    controller: ExchangeController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void
  onResponseData?(controller: ExchangeController, chunk: Buffer): void
  onResponseEnd?(controller: ExchangeController, trailers: IncomingHttpHeaders): void
  onResponseError?(controller: ExchangeController, error: Error): void
}

/** What a handler may do to its exchange, as undici's DispatchController. */
export interface ExchangeController {
  readonly aborted: boolean
  readonly paused: boolean
  readonly reason: Error | null
  abort(reason: Error): void
  pause(): void
  resume(): void
}

/** One request to run on a connection. */
export interface Exchange {
  readonly method: string
  readonly head: string
  readonly contentLength: number
  readonly body: Readable | null
  readonly handler: ExchangeHandler
}

/** What a connection needs from its pool. */
export interface ConnectionOwner {
  readonly parser: NativeParserBinding
  readonly maxHeaderSize: number
  /** `read_timeout` for the response head and between body chunks; 0 = none. */
  readonly readTimeoutMs: number
  /** Called when the connection is clean and free for the next request. */
  release(connection: H1Connection, keepAliveMs: number): void
  /** Called once when the connection is gone for good. */
  forget(connection: H1Connection): void
}

const PHASE = { idle: 0, head: 1, body: 2 } as const
type Phase = (typeof PHASE)[keyof typeof PHASE]

/** One socket and its parser; see the file comment. */
export class H1Connection implements ExchangeController {
  readonly socket: Socket
  readonly #owner: ConnectionOwner
  readonly #parser: NativeParser
  #exchange: Exchange | undefined
  #phase: Phase = PHASE.idle
  /** Header lines the parser flushed early (a head of more than 32 fields). */
  #pendingHeaders: string[] = []
  /** 1xx interim response: its message completion is not the exchange's. */
  #interim = false
  #keepAlive = true
  #keepAliveMs = 0
  #responseDone = false
  #bodySent = true
  #bodyBytes = 0
  /** Set when a response head arrived with no exchange waiting for it. */
  #unsolicited = false
  #closed = false
  #paused = false
  #aborted = false
  #reason: Error | null = null
  /** performance.now() of the last read progress; the pool's sweeper enforces read_timeout. */
  lastProgress = 0
  /** performance.now() when the connection went idle (for the keep-alive timeout). */
  idleSince = 0
  /** Milliseconds an idle connection may stay open. */
  keepAliveMs = 0

  constructor(socket: Socket, owner: ConnectionOwner) {
    this.socket = socket
    this.#owner = owner
    const binding = owner.parser
    const parser = binding.create()
    parser.initialize(binding.RESPONSE, {}, owner.maxHeaderSize, binding.kLenientNone)
    parser[binding.kOnHeaders] = this.#onHeaders
    parser[binding.kOnHeadersComplete] = this.#onHeadersComplete
    parser[binding.kOnBody] = this.#onBody
    parser[binding.kOnMessageComplete] = this.#onMessageComplete
    parser[binding.kOnExecute] = noop
    this.#parser = parser
    socket.on('data', this.#onData)
    socket.on('end', this.#onEnd)
    socket.on('error', this.#onError)
    socket.on('close', this.#onClose)
    socket.on('drain', this.#onDrain)
  }

  get aborted(): boolean {
    return this.#aborted
  }

  get paused(): boolean {
    return this.#paused
  }

  get reason(): Error | null {
    return this.#reason
  }

  /** True while an exchange runs on this connection. */
  get busy(): boolean {
    return this.#exchange !== undefined
  }

  /** Starts `exchange`: writes its head, then its body. */
  run(exchange: Exchange): void {
    this.#exchange = exchange
    this.#phase = PHASE.head
    this.#responseDone = false
    this.#interim = false
    this.#paused = false
    this.#aborted = false
    this.#reason = null
    this.#bodySent = exchange.body === null
    this.#bodyBytes = 0
    this.lastProgress = performance.now()
    exchange.handler.onRequestStart?.(this, undefined)
    if (this.#exchange !== exchange) return // aborted in onRequestStart
    holdWrites(this.socket)
    this.socket.write(exchange.head, 'latin1')
    if (exchange.body !== null) this.#streamBody(exchange.body, exchange.contentLength)
  }

  pause(): void {
    if (this.#exchange === undefined || this.#paused) return
    this.#paused = true
    this.socket.pause()
  }

  resume(): void {
    if (!this.#paused) return
    this.#paused = false
    this.lastProgress = performance.now()
    this.socket.resume()
  }

  /** Ends the exchange with `reason` and drops the connection (it is mid-message). */
  abort(reason: Error): void {
    const exchange = this.#exchange
    if (exchange === undefined) return
    this.#aborted = true
    this.#reason = reason
    this.#fail(reason)
  }

  /** Fails the running exchange with a read timeout (called by the pool's sweeper). */
  timeOut(): void {
    this.#fail(this.#phase === PHASE.head ? headersTimeout() : bodyTimeout())
  }

  /** Closes the socket; a running exchange fails with `reason` (default: socket closed). */
  destroy(reason?: Error): void {
    if (this.#exchange !== undefined) this.#fail(reason ?? socketClosed())
    else this.#teardown()
  }

  #streamBody(body: Readable, contentLength: number): void {
    const chunked = contentLength < 0
    const socket = this.socket
    const exchange = this.#exchange
    const onData = (chunk: Buffer): void => {
      this.#bodyBytes += chunk.length
      if (contentLength >= 0 && this.#bodyBytes > contentLength) {
        this.#fail(bodyLengthMismatch())
        return
      }
      let ok: boolean
      if (chunked) {
        if (chunk.length === 0) return
        socket.cork()
        socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1')
        socket.write(chunk)
        ok = socket.write('\r\n', 'latin1')
        socket.uncork()
      } else ok = socket.write(chunk)
      if (!ok) body.pause()
    }
    const onEnd = (): void => {
      if (this.#exchange !== exchange) return
      if (contentLength >= 0 && this.#bodyBytes !== contentLength) {
        this.#fail(bodyLengthMismatch())
        return
      }
      if (chunked) socket.write('0\r\n\r\n', 'latin1')
      this.#bodySent = true
    }
    const onError = (err: Error): void => {
      if (this.#exchange === exchange) this.#fail(err)
    }
    body.on('data', onData)
    body.once('end', onEnd)
    body.once('error', onError)
    this.#detachBody = () => {
      body.off('data', onData)
      body.off('end', onEnd)
      body.off('error', onError)
      // Late errors of a stream nobody reads any more must not crash the process.
      body.on('error', noop)
    }
    this.#bodyStream = body
  }

  #bodyStream: Readable | undefined
  #detachBody: (() => void) | undefined

  readonly #onDrain = (): void => {
    this.#bodyStream?.resume()
  }

  readonly #onData = (data: Buffer): void => {
    if (this.#exchange === undefined) {
      // Bytes on an idle connection answer nothing that was asked: never reuse it.
      this.#teardown()
      return
    }
    this.lastProgress = performance.now()
    const result = this.#parser.execute(data)
    if (typeof result !== 'number') {
      this.#fail(invalidResponse(result))
      return
    }
    if (this.#unsolicited || result !== data.length) {
      this.#unsolicited = true
      this.destroy(invalidResponse(undefined))
      return
    }
    if (!this.#responseDone || this.#exchange === undefined) return
    // An early response (a 401 or 413 before the whole body was sent) leaves the request
    // half-written: the connection cannot carry another one.
    if (!this.#bodySent) this.#keepAlive = false
    this.#settle()
  }

  readonly #onHeaders = (headers: string[]): void => {
    for (const field of headers) this.#pendingHeaders.push(field)
  }

  readonly #onHeadersComplete = (
    _versionMajor: number,
    _versionMinor: number,
    rawHeaders: string[] | undefined,
    _method: unknown,
    _url: unknown,
    statusCode: number,
    statusMessage: string,
    _upgrade: boolean,
    shouldKeepAlive: boolean,
  ): number => {
    let raw = rawHeaders
    if (raw === undefined) {
      raw = this.#pendingHeaders
      this.#pendingHeaders = []
    }
    const exchange = this.#exchange
    if (exchange === undefined || this.#responseDone) {
      this.#unsolicited = true
      return 1
    }
    // This client never asks for an upgrade (tunnels go through proxy/upgrade.ts), so a 101
    // is a confused or hostile backend: fail the exchange (502) rather than relay a tunnel.
    if (statusCode === 101) {
      this.#unsolicited = true
      this.#interim = true // its message end is not the exchange's end
      return 1
    }
    // 1xx interim responses (100 Continue, 103 Early Hints) are skipped: the final one follows.
    if (statusCode < 200) {
      this.#interim = true
      return 1
    }
    this.#phase = PHASE.body
    this.#keepAlive = shouldKeepAlive
    const headers = toHeaderObject(raw)
    this.#keepAliveMs = keepAliveHintMs(headers['keep-alive'])
    exchange.handler.onResponseStart?.(this, statusCode, headers, statusMessage)
    // A HEAD response has no body to parse.
    return exchange.method === 'HEAD' ? 1 : 0
  }

  readonly #onBody = (chunk: Buffer): void => {
    const exchange = this.#exchange
    if (exchange === undefined) return
    exchange.handler.onResponseData?.(this, chunk)
  }

  readonly #onMessageComplete = (): void => {
    if (this.#interim) {
      this.#interim = false
      return
    }
    const exchange = this.#exchange
    if (exchange === undefined || this.#responseDone) return
    this.#responseDone = true
    this.#phase = PHASE.idle
    let trailers: IncomingHttpHeaders = {}
    if (this.#pendingHeaders.length > 0) {
      trailers = toHeaderObject(this.#pendingHeaders)
      this.#pendingHeaders = []
    }
    exchange.handler.onResponseEnd?.(this, trailers)
    // The connection is settled after the parser returns (#onData), once it is known that no
    // byte followed the response; a response that ends with the socket is not reusable anyway.
  }

  readonly #onEnd = (): void => {
    if (this.#exchange === undefined) {
      this.#teardown()
      return
    }
    // A body delimited by the end of the connection completes here.
    const result = this.#parser.finish()
    this.#keepAlive = false
    if (result instanceof Error) this.#fail(invalidResponse(result))
    else if (this.#responseDone) this.#settle()
    else this.#fail(socketClosed())
  }

  readonly #onError = (err: Error): void => {
    if (this.#exchange !== undefined) this.#fail(err)
    else this.#teardown()
  }

  readonly #onClose = (): void => {
    if (this.#exchange !== undefined) this.#fail(socketClosed())
    else this.#teardown()
  }

  /** The response is complete (and the body sent): back to the pool, or closed. */
  #settle(): void {
    const exchange = this.#exchange
    if (exchange === undefined) return
    this.#exchange = undefined
    this.#detachBody?.()
    this.#detachBody = undefined
    this.#bodyStream = undefined
    if (this.#paused) {
      this.#paused = false
      this.socket.resume()
    }
    if (!this.#keepAlive || this.#closed || this.#unsolicited) {
      this.#teardown()
      return
    }
    this.#owner.release(this, this.#keepAliveMs)
  }

  /** Ends the running exchange with `err` (once) and closes the connection. */
  #fail(err: Error): void {
    const exchange = this.#exchange
    this.#exchange = undefined
    this.#phase = PHASE.idle
    this.#detachBody?.()
    this.#detachBody = undefined
    this.#bodyStream = undefined
    this.#teardown()
    if (exchange !== undefined && !this.#responseDone) {
      exchange.handler.onResponseError?.(this, err)
    }
  }

  #teardown(): void {
    if (this.#closed) return
    this.#closed = true
    this.socket.destroy()
    releaseParser(this.#parser)
    this.#owner.forget(this)
  }
}

function noop(): void {}
