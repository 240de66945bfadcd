/**
 * One client connection of pingap-ts's own HTTP/1 server (server.ts). Node's native llhttp
 * parser reads the socket's handle directly (`consume`, as node:http does: no 'data' event per
 * read) and calls back here; each parsed request gets its response and is emitted as
 * `'request'` (or `'checkContinue'`), upgrades and CONNECT hand the socket over as `'upgrade'`
 * and `'connect'`, and parse errors go to `'clientError'` with node:http's error codes. Only the
 * first response of a pipelined burst owns the socket; the next one takes it when that one
 * finished. Timeouts are not timers per connection: the server's sweep reads the times kept here.
 */
import type { EventEmitter } from 'node:events'
import type { Socket } from 'node:net'
import {
  releaseParser,
  type NativeParser,
  type NativeParserBinding,
} from '../../upstream/h1/native-parser.ts'
import { requestHeaderObject } from './request-headers.ts'
import { Http1Request, type BodySource } from './request.ts'
import { Http1Response, type ResponseOwner } from './response.ts'

/** What a connection needs from its server. */
export interface ConnectionHost extends EventEmitter {
  readonly parser: NativeParserBinding
  readonly maxHeaderSize: number
  readonly keepAliveTimeout: number
  /** The connection is closed or handed over: stop sweeping it. */
  forget(connection: Http1Connection): void
}

/** The socket's native handle, as far as reading control needs it. */
interface StreamHandle {
  reading: boolean
  readStart(): number
  readStop(): number
  isStreamBase?: boolean
  _consumed?: boolean
}

type HandleSocket = Socket & { _handle?: StreamHandle | null }

/** llhttp's method numbers 0–33 are node:http's `methods` in order; 34 and 46 are not. */
const PRI = 34
const QUERY = 46
const LAST_LISTED = 33

function methodName(methods: readonly string[], index: number): string {
  if (index <= LAST_LISTED) return methods[index] ?? ''
  if (index === QUERY) return 'QUERY'
  return index === PRI ? 'PRI' : ''
}

const CONTINUE = /(?:^|\W)100-continue(?:$|\W)/i

/** Same shape as node:http's parse errors (client-error.ts reads `code` and `rawPacket`). */
type ParseError = Error & { code?: string; reason?: string; rawPacket?: Buffer }

export class Http1Connection implements BodySource, ResponseOwner {
  readonly socket: HandleSocket
  readonly #host: ConnectionHost
  readonly #parser: NativeParser
  readonly #consumed: boolean
  #readingStopped = false
  /** Responses of the parsed requests, the one being sent first. */
  readonly #queue: Http1Response[] = []
  /** The request whose body the parser is delivering. */
  #incoming: Http1Request | undefined
  /** Header fields (or trailers) the parser flushed before the end of the head. */
  #fields: string[] = []
  #url = ''
  /** An Upgrade or CONNECT request: the socket is handed over once the parser returns. */
  #upgrade: Http1Request | undefined
  #gone = false
  /** Date.now() when the current request head began (or the connection opened); 0 = none. */
  headStartedAt: number
  /** Bytes of a request head arrived and the head is not complete yet. */
  inHead = false
  /** Date.now() since when no request has been in flight; 0 = one is. */
  idleSince = 0
  /** Unflushed response bytes at the last sweep, and since when that figure has not moved. */
  stalledLength = 0
  stalledSince = 0

  constructor(socket: Socket, host: ConnectionHost) {
    this.socket = socket
    this.#host = host
    this.headStartedAt = Date.now()
    const binding = host.parser
    const parser = binding.create()
    parser.initialize(binding.REQUEST, {}, host.maxHeaderSize, binding.kLenientNone)
    parser[binding.kOnMessageBegin] = this.#onMessageBegin
    parser[binding.kOnHeaders] = this.#onHeaders
    parser[binding.kOnHeadersComplete] = this.#onHeadersComplete
    parser[binding.kOnBody] = this.#onBody
    parser[binding.kOnMessageComplete] = this.#onMessageComplete
    parser[binding.kOnExecute] = this.#onExecute
    this.#parser = parser
    const handle = this.socket._handle
    // Bytes already read into the stream (a sniffed h2c connection puts them back) must be
    // parsed first, through 'data': such a socket is parsed from the stream throughout.
    this.#consumed =
      handle?.isStreamBase === true && handle._consumed !== true && socket.readableLength === 0
    if (this.#consumed && handle) {
      handle._consumed = true
      parser.consume(handle)
    }
    socket.on('data', this.#onData)
    socket.on('end', this.#onEnd)
    socket.on('error', this.#onError)
    socket.on('close', this.#onClose)
    socket.on('drain', this.#onDrain)
  }

  get keepAliveTimeoutMs(): number {
    return this.#host.keepAliveTimeout
  }

  /** True when no request is in flight and no request head has begun. */
  get idle(): boolean {
    return this.#queue.length === 0 && !this.inHead
  }

  /** The response being sent, if any. */
  get current(): Http1Response | undefined {
    return this.#queue[0]
  }

  // --- parser callbacks --------------------------------------------------------------------

  readonly #onMessageBegin = (): void => {
    this.inHead = true
    this.headStartedAt = Date.now()
    this.idleSince = 0
  }

  readonly #onHeaders = (fields: string[], url: string): void => {
    for (const field of fields) this.#fields.push(field)
    this.#url += url
  }

  readonly #onHeadersComplete = (
    major: number,
    minor: number,
    fields: string[] | undefined,
    method: number,
    url: string | undefined,
    _status: unknown,
    _statusMessage: unknown,
    upgrade: boolean,
    shouldKeepAlive: boolean,
  ): number => {
    this.inHead = false
    this.headStartedAt = 0
    if (this.#gone) return 0
    let rawHeaders = fields
    if (rawHeaders === undefined) {
      rawHeaders = this.#fields
      this.#fields = []
    }
    let target = url
    if (target === undefined || target === '') {
      target = this.#url
      this.#url = ''
    }
    const name = methodName(this.#host.parser.methods, method)
    const headers = requestHeaderObject(rawHeaders)
    const req = new Http1Request(this.socket, this, {
      major,
      minor,
      method: name,
      url: target,
      rawHeaders,
      headers,
      upgrade,
      hasBody: headers['transfer-encoding'] !== undefined || hasLength(headers['content-length']),
    })
    if (name === 'PRI' || name === '') {
      // An HTTP/2 preface on an HTTP/1 listener (or a method llhttp knows from RTSP).
      this.socket.destroy()
      return 0
    }
    if (upgrade) {
      req.upgrade = name === 'CONNECT' || this.#host.listenerCount('upgrade') > 0
      if (req.upgrade) {
        this.#upgrade = req
        this.#incoming = req
        return 0
      }
    }
    this.#incoming = req
    const res = new Http1Response(req, this)
    res.shouldKeepAlive = shouldKeepAlive
    this.#queue.push(res)
    if (this.#queue.length === 1) res.attach(this.socket)
    this.#emitRequest(req, res)
    return 0
  }

  #emitRequest(req: Http1Request, res: Http1Response): void {
    const expect = req.headers.expect
    if (expect === undefined || req.httpVersionMinor !== 1) {
      this.#host.emit('request', req, res)
    } else if (CONTINUE.test(expect)) {
      if (this.#host.listenerCount('checkContinue') > 0) this.#host.emit('checkContinue', req, res)
      else {
        res.writeContinue()
        this.#host.emit('request', req, res)
      }
    } else {
      // RFC 9110 §10.1.1: an expectation the server cannot meet.
      res.writeHead(417)
      res.end()
    }
  }

  readonly #onBody = (chunk: Buffer): void => {
    const req = this.#incoming
    if (req !== undefined && !req.pushBody(chunk)) this.pauseReading()
  }

  readonly #onMessageComplete = (): void => {
    const req = this.#incoming
    this.#incoming = undefined
    const trailers = this.#fields
    this.#fields = []
    req?.finishBody(trailers)
  }

  readonly #onExecute = (result: number | Error): void => {
    this.#afterExecute(result, undefined)
  }

  // --- socket events -----------------------------------------------------------------------

  readonly #onData = (data: Buffer): void => {
    if (this.#gone) return
    this.#afterExecute(this.#parser.execute(data), data)
  }

  #afterExecute(result: number | Error, data: Buffer | undefined): void {
    if (this.#gone) return
    if (typeof result !== 'number') this.#parseError(result, data)
    else if (this.#upgrade !== undefined) this.#handOver(this.#upgrade, result, data)
  }

  #parseError(error: Error, data: Buffer | undefined): void {
    const err = error as ParseError
    err.rawPacket = data ?? this.#currentBuffer()
    if (typeof err.reason === 'string') err.message = `Parse Error: ${err.reason}`
    this.clientError(err)
  }

  #currentBuffer(): Buffer {
    return this.#parser.getCurrentBuffer()
  }

  /** Reports `err` as node:http does (`'clientError'`); without a listener, 400 and close. */
  clientError(err: ParseError): void {
    const socket = this.socket
    // Later socket errors of a connection being dropped are expected.
    if (socket.listenerCount('error') <= 1) socket.on('error', noop)
    if (this.#host.emit('clientError', err, socket)) return
    if (socket.writable && this.current?.headersSent !== true) {
      socket.write('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
    }
    socket.destroy()
  }

  /** Gives the socket to the `'upgrade'` (or `'connect'`) listener with the bytes after the head. */
  #handOver(req: Http1Request, parsed: number, data: Buffer | undefined): void {
    this.#upgrade = undefined
    const buffer = data ?? this.#currentBuffer()
    const head = buffer.subarray(parsed)
    this.#detach()
    const socket = this.socket
    // As node:http: the new owner starts the stream (a 'data' listener or resume()).
    ;(socket as { readableFlowing: boolean | null }).readableFlowing = null
    this.#host.emit(req.method === 'CONNECT' ? 'connect' : 'upgrade', req, socket, head)
  }

  /** Stops parsing and forgets the socket (closed, or handed over to an upgrade). */
  #detach(): void {
    if (this.#gone) return
    this.#gone = true
    const socket = this.socket
    socket.off('data', this.#onData)
    socket.off('end', this.#onEnd)
    socket.off('error', this.#onError)
    socket.off('close', this.#onClose)
    socket.off('drain', this.#onDrain)
    const parser = this.#parser
    if (this.#consumed) {
      parser.unconsume()
      const handle = socket._handle
      if (handle) handle._consumed = false
    }
    releaseParser(parser)
    this.#host.forget(this)
  }

  readonly #onEnd = (): void => {
    if (this.#gone) return
    const result = this.#parser.finish()
    if (result instanceof Error) this.#parseError(result, undefined)
    // As node:http (httpAllowHalfOpen false): the client is done, so is the connection; a
    // request still in flight is aborted (nobody will read its answer), as nginx does.
    else if (this.#queue.length > 0) this.socket.destroy()
    else this.socket.end()
  }

  readonly #onError = (err: Error): void => {
    this.clientError(err)
  }

  readonly #onClose = (): void => {
    this.#detach()
    this.#incoming?.abort()
    this.#incoming = undefined
    const queue = this.#queue.splice(0)
    for (const res of queue) {
      res.req.abort()
      res.markClosed()
    }
  }

  readonly #onDrain = (): void => {
    this.#queue[0]?.onSocketDrain()
  }

  // --- requests and responses --------------------------------------------------------------

  readonly lastWritten = (err?: Error | null): void => {
    // A failed write means the socket is gone: its 'close' reports the response as cut.
    if (err === undefined || err === null) this.#queue[0]?.written()
  }

  responseFinished(res: Http1Response): void {
    if (this.#queue[0] !== res) return
    this.#queue.shift()
    const req = res.req
    // A body nobody read is read away, so the next request's bytes can be parsed.
    if (!req.complete && req.readableFlowing === null) req.dump()
    if (res.closesConnection) {
      for (const queued of this.#queue) queued.req.abort()
      this.socket.destroySoon()
      return
    }
    const next = this.#queue[0]
    if (next !== undefined) next.attach(this.socket)
    else this.idleSince = Date.now()
  }

  pauseReading(): void {
    if (this.#readingStopped) return
    this.#readingStopped = true
    if (!this.#consumed) {
      this.socket.pause()
      return
    }
    const handle = this.socket._handle
    if (handle?.reading === true) {
      handle.reading = false
      handle.readStop()
    }
  }

  resumeReading(): void {
    if (!this.#readingStopped || this.#gone) return
    this.#readingStopped = false
    if (!this.#consumed) {
      this.socket.resume()
      return
    }
    const handle = this.socket._handle
    if (handle && !handle.reading) {
      handle.reading = true
      handle.readStart()
    }
  }

  /** The header read timed out: node:http's error, so client-error.ts answers 408. */
  headersTimedOut(): void {
    const err: ParseError = new Error('Request timeout')
    err.code = 'ERR_HTTP_REQUEST_TIMEOUT'
    this.headStartedAt = 0
    this.clientError(err)
  }
}

function hasLength(value: string | string[] | undefined): boolean {
  return value !== undefined && value !== '0'
}

function noop(): void {}
