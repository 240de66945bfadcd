/**
 * One HTTP/1 request of pingap-ts's own server (server.ts): the fields and stream behaviour of
 * node:http's IncomingMessage that the proxy relies on. The body is a Readable fed by the
 * parser; a request without a body is `complete` at once and its stream ends only when someone
 * reads it (as node:http's), so a bodyless request costs no end-of-stream events.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { Socket } from 'node:net'
import { Readable } from 'node:stream'
import { requestHeaderObject } from './request-headers.ts'

/** What the request asks of the connection that parsed it. */
export interface BodySource {
  /** Starts reading the socket again after back-pressure stopped it. */
  resumeReading(): void
  /** Stops reading the socket (the body's consumer is full). */
  pauseReading(): void
}

export class Http1Request extends Readable {
  readonly socket: Socket
  readonly httpVersionMajor: number
  readonly httpVersionMinor: number
  readonly httpVersion: string
  readonly method: string
  url: string
  readonly rawHeaders: string[]
  headers: IncomingHttpHeaders
  trailers: IncomingHttpHeaders = {}
  rawTrailers: string[] = []
  /** The whole message (head and body) has been parsed. */
  complete = false
  /** The connection went away before the message was complete. */
  aborted = false
  upgrade: boolean
  readonly #source: BodySource
  /** The parser will push body bytes (Content-Length or chunked framing). */
  readonly #hasBody: boolean
  /** Body bytes are read off the wire and dropped (the response ended without reading them). */
  #dumped = false
  #endPushed = false

  constructor(
    socket: Socket,
    source: BodySource,
    head: {
      major: number
      minor: number
      method: string
      url: string
      rawHeaders: string[]
      headers: IncomingHttpHeaders
      upgrade: boolean
      hasBody: boolean
    },
  ) {
    super()
    this.socket = socket
    this.#source = source
    this.httpVersionMajor = head.major
    this.httpVersionMinor = head.minor
    this.httpVersion = `${head.major}.${head.minor}`
    this.method = head.method
    this.url = head.url
    this.rawHeaders = head.rawHeaders
    this.headers = head.headers
    this.upgrade = head.upgrade
    this.#hasBody = head.hasBody
  }

  /** node:http's alias of `socket`. */
  get connection(): Socket {
    return this.socket
  }

  /** Body bytes from the parser; false when the consumer wants no more for now. */
  pushBody(chunk: Buffer): boolean {
    if (this.#dumped || this.destroyed) return true
    return this.push(chunk)
  }

  /** The parser reached the end of the message. */
  finishBody(trailers: string[]): void {
    this.complete = true
    if (trailers.length > 0) {
      this.rawTrailers = trailers
      this.trailers = requestHeaderObject(trailers)
    }
    // Ending a stream nobody reads schedules events; a bodyless request ends when read.
    if (this.#hasBody || this.readableFlowing === true) this.#pushEnd()
  }

  #pushEnd(): void {
    if (this.#endPushed) return
    this.#endPushed = true
    this.push(null)
  }

  /** Reads the rest of the body off the wire and drops it (its response is over). */
  dump(): void {
    if (this.complete || this.#dumped) return
    this.#dumped = true
    this.removeAllListeners('data')
    this.resume()
  }

  /** The connection closed before the message was complete. */
  abort(): void {
    if (this.complete || this.destroyed) return
    this.aborted = true
    this.emit('aborted')
    this.destroy()
  }

  override _read(): void {
    if (this.complete) this.#pushEnd()
    else this.#source.resumeReading()
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    // An unfinished body cannot be skipped: the connection cannot carry another request.
    if (!this.complete && !this.socket.destroyed) this.socket.destroy()
    // As node:http: an error nobody listens for is not raised.
    callback(this.listenerCount('error') > 0 ? err : null)
  }
}
