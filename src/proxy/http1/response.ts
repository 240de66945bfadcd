/**
 * One HTTP/1 response of pingap-ts's own server (server.ts): the subset of node:http's
 * ServerResponse the proxy uses, with the same wire behaviour: the head is built at
 * `writeHead()` (or implicitly at the first write) and goes out with the first body bytes; a
 * `Date` header; `Connection` and `Keep-Alive` from the request's keep-alive state; chunked
 * framing when there is a body and no length (HTTP/1.1), else closing the connection; no body
 * at all for HEAD, 1xx, 204 and 304; header names and values checked as node:http checks them.
 *
 * Events: 'drain' (after a write returned false), 'finish' (the last bytes were handed to the
 * socket), 'close' (after 'finish', or when the connection went away first).
 */
import { EventEmitter } from 'node:events'
import { STATUS_CODES, type OutgoingHttpHeader, type OutgoingHttpHeaders } from 'node:http'
import type { Socket } from 'node:net'
import { httpDate } from './date-header.ts'
import type { Http1Request } from './request.ts'

/** What a response needs from its connection. */
export interface ResponseOwner {
  /** Advertised in `Keep-Alive: timeout=N`; 0 = no such header. */
  readonly keepAliveTimeoutMs: number
  /** The response handed its last bytes to the socket. */
  responseFinished(res: Http1Response): void
  /**
   * The callback of a response's last write: one per connection rather than one per response,
   * since only the connection's first response writes (it calls `written()` on that one).
   */
  readonly lastWritten: (err?: Error | null) => void
}

const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/
const CONNECTION_CLOSE = /(?:^|\W)close(?:$|\W)/i
const CHUNKED = /(?:^|\W)chunked(?:$|\W)/i
const EMPTY = Buffer.alloc(0)

type Chunk = Buffer | string
type WriteCallback = (err?: Error | null) => void

function headerError(code: string, message: string): Error {
  return Object.assign(new TypeError(message), { code })
}

/** Names already found valid: the same few dozen come in every response (bounded). */
const VALID_NAMES = new Set<string>()
const VALID_NAMES_LIMIT = 1024

function checkName(name: string): void {
  if (VALID_NAMES.has(name)) return
  if (TOKEN.test(name)) {
    if (VALID_NAMES.size < VALID_NAMES_LIMIT) VALID_NAMES.add(name)
  } else {
    throw headerError(
      'ERR_INVALID_HTTP_TOKEN',
      `Header name must be a valid HTTP token ["${name}"]`,
    )
  }
}

function checkValue(name: string, value: string): void {
  if (INVALID_VALUE.test(value)) {
    throw headerError('ERR_INVALID_CHAR', `Invalid character in header content ["${name}"]`)
  }
}

function lower(name: string): string {
  return name.toLowerCase()
}

/**
 * The lower-case name when it may be one of the four names framing looks at (`date`,
 * `connection`, `content-length`, `transfer-encoding`), by length; other names are left as
 * they are, sparing a lower-casing per header per response.
 */
function framingKey(name: string): string {
  const n = name.length
  return n === 4 || n === 10 || n === 14 || n === 17 ? name.toLowerCase() : name
}

/** end()'s arguments as node:http takes them: `(chunk?, encoding?, callback?)`, any left out. */
function endArguments(
  chunkOrCallback: Chunk | (() => void) | undefined,
  encodingOrCallback: BufferEncoding | (() => void) | undefined,
  cb: (() => void) | undefined,
): { chunk: Buffer | undefined; callback: (() => void) | undefined } {
  if (typeof chunkOrCallback === 'function') return { chunk: undefined, callback: chunkOrCallback }
  const chunk =
    chunkOrCallback === undefined ? undefined : bodyBytes(chunkOrCallback, encodingOrCallback)
  return { chunk, callback: typeof encodingOrCallback === 'function' ? encodingOrCallback : cb }
}

/** What the head's own headers decided about framing and the connection. */
interface HeadFacts {
  connection: boolean
  contentLength: boolean
  transferEncoding: boolean
  date: boolean
}

/** A body chunk as bytes (head lines are written as latin1 strings, bodies never are). */
function bodyBytes(chunk: Chunk, encoding: unknown): Buffer {
  if (typeof chunk !== 'string') return chunk
  return Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
}

export class Http1Response extends EventEmitter {
  statusCode = 200
  statusMessage: string | undefined
  sendDate = true
  shouldKeepAlive = true
  chunkedEncoding = false
  writableEnded = false
  writableFinished = false
  destroyed = false
  readonly req: Http1Request
  socket: Socket | null = null
  readonly #owner: ResponseOwner
  /** Headers set with setHeader: lower-case name → [name as given, value]. */
  #stored: Map<string, [string, OutgoingHttpHeader]> | undefined
  /** The serialised head, from writeHead() until it is written. */
  #head: string | undefined
  #headWritten = false
  #hasBody: boolean
  /** The connection closes after this response. */
  #last = false
  #trailers: OutgoingHttpHeaders | undefined
  #needDrain = false
  #closed = false
  /** Writes made before the response owned the socket (a pipelined response waiting). */
  #pending: Array<[Chunk, WriteCallback | undefined]> | undefined

  constructor(req: Http1Request, owner: ResponseOwner) {
    super()
    this.req = req
    this.#owner = owner
    this.#hasBody = req.method !== 'HEAD'
  }

  get headersSent(): boolean {
    return this.#head !== undefined || this.#headWritten
  }

  /** node:http's name for `writableEnded`. */
  get finished(): boolean {
    return this.writableEnded
  }

  /** True when the connection closes once this response is over. */
  get closesConnection(): boolean {
    return this.#last
  }

  // --- headers ---------------------------------------------------------------------------

  setHeader(name: string, value: OutgoingHttpHeader): this {
    if (this.headersSent) throw headerError('ERR_HTTP_HEADERS_SENT', 'headers already sent')
    checkName(name)
    this.#stored ??= new Map()
    this.#stored.set(name.toLowerCase(), [name, value])
    return this
  }

  getHeader(name: string): OutgoingHttpHeader | undefined {
    return this.#stored?.get(name.toLowerCase())?.[1]
  }

  getHeaders(): OutgoingHttpHeaders {
    const out: OutgoingHttpHeaders = {}
    if (this.#stored !== undefined) for (const [key, [, value]] of this.#stored) out[key] = value
    return out
  }

  addTrailers(headers: OutgoingHttpHeaders): void {
    this.#trailers = { ...this.#trailers, ...headers }
  }

  // --- head --------------------------------------------------------------------------------

  writeHead(
    status: number,
    reasonOrHeaders?: string | OutgoingHttpHeaders,
    maybeHeaders?: OutgoingHttpHeaders,
  ): this {
    if (this.headersSent) throw headerError('ERR_HTTP_HEADERS_SENT', 'headers already sent')
    if (!Number.isInteger(status) || status < 100 || status > 999) {
      throw Object.assign(new RangeError(`Invalid status code: ${status}`), {
        code: 'ERR_HTTP_INVALID_STATUS_CODE',
      })
    }
    let headers: OutgoingHttpHeaders | undefined
    if (typeof reasonOrHeaders === 'string') {
      this.statusMessage = reasonOrHeaders
      headers = maybeHeaders
    } else headers = reasonOrHeaders
    this.statusCode = status
    if (status === 204 || status === 304 || status < 200) this.#hasBody = false
    this.#head = this.#buildHead(headers, undefined)
    return this
  }

  /** The head when the first write comes before any writeHead(): status and stored headers. */
  #implicitHead(contentLength: number | undefined): void {
    if (this.statusCode === 204 || this.statusCode === 304 || this.statusCode < 200) {
      this.#hasBody = false
    }
    this.#head = this.#buildHead(undefined, contentLength)
  }

  #buildHead(given: OutgoingHttpHeaders | undefined, contentLength: number | undefined): string {
    const status = this.statusCode
    const facts: HeadFacts = {
      connection: false,
      contentLength: false,
      transferEncoding: false,
      date: false,
    }
    let head = `HTTP/1.1 ${status} ${this.statusMessage ?? STATUS_CODES[status] ?? 'unknown'}\r\n`
    if (this.#stored !== undefined) {
      // writeHead's headers win over setHeader's, whatever their case (as node:http).
      const overridden = new Set(given === undefined ? [] : Object.keys(given).map(lower))
      for (const [key, [name, value]] of this.#stored) {
        if (!overridden.has(key)) head += this.#headerLines(name, key, value, facts)
      }
    }
    if (given !== undefined) {
      for (const name in given) {
        const value = given[name]
        if (value === undefined) continue
        checkName(name)
        head += this.#headerLines(name, framingKey(name), value, facts)
      }
    }
    if (this.sendDate && !facts.date) head += `Date: ${httpDate()}\r\n`
    return head + this.#framing(facts, contentLength) + '\r\n'
  }

  /** The lines of one header; records what it says about framing and the connection. */
  #headerLines(name: string, key: string, value: OutgoingHttpHeader, facts: HeadFacts): string {
    if (Array.isArray(value)) {
      let lines = ''
      for (const one of value) lines += this.#headerLines(name, key, one, facts)
      return lines
    }
    const text = typeof value === 'string' ? value : String(value)
    checkValue(name, text)
    switch (key) {
      case 'connection':
        facts.connection = true
        if (CONNECTION_CLOSE.test(text)) this.#last = true
        break
      case 'content-length':
        facts.contentLength = true
        break
      case 'transfer-encoding':
        facts.transferEncoding = true
        if (CHUNKED.test(text)) this.chunkedEncoding = true
        break
      case 'date':
        facts.date = true
        break
      default:
    }
    return `${name}: ${text}\r\n`
  }

  /** Connection, Keep-Alive and the body framing node:http would add. */
  #framing(facts: HeadFacts, contentLength: number | undefined): string {
    let lines = ''
    const http11 = this.req.httpVersionMinor >= 1
    if (!facts.connection) {
      const framed = facts.contentLength || contentLength !== undefined || http11 || !this.#hasBody
      if (this.shouldKeepAlive && framed) {
        lines += 'Connection: keep-alive\r\n'
        const seconds = Math.floor(this.#owner.keepAliveTimeoutMs / 1000)
        if (seconds > 0) lines += `Keep-Alive: timeout=${seconds}\r\n`
      } else {
        this.#last = true
        lines += 'Connection: close\r\n'
      }
    } else if (!this.shouldKeepAlive) this.#last = true
    if (facts.contentLength || facts.transferEncoding || !this.#hasBody) return lines
    if (contentLength !== undefined) return `${lines}Content-Length: ${contentLength}\r\n`
    if (!http11) {
      // HTTP/1.0 has no chunked framing: the body ends when the connection does.
      this.#last = true
      return lines
    }
    this.chunkedEncoding = true
    return `${lines}Transfer-Encoding: chunked\r\n`
  }

  // --- body --------------------------------------------------------------------------------

  /** Sends `100 Continue` (the client waits for it before sending its body). */
  writeContinue(callback?: () => void): void {
    this.#send('HTTP/1.1 100 Continue\r\n\r\n', callback)
  }

  write(data: Chunk, encodingOrCallback?: BufferEncoding | WriteCallback, cb?: WriteCallback) {
    const chunk = bodyBytes(data, encodingOrCallback)
    const callback = typeof encodingOrCallback === 'function' ? encodingOrCallback : cb
    if (this.writableEnded || this.destroyed) {
      if (callback !== undefined) process.nextTick(callback, new Error('write after end'))
      return false
    }
    if (!this.headersSent) this.#implicitHead(undefined)
    if (!this.#hasBody || chunk.length === 0) {
      this.#sendHead(callback)
      return true
    }
    // Head, size line, data, CRLF: one writev, not a send each (within a held batch the
    // socket is corked already and this changes nothing).
    const socket = this.socket
    socket?.cork()
    const ok = this.#sendBody(chunk, callback)
    socket?.uncork()
    if (!ok) this.#needDrain = true
    return ok
  }

  end(
    chunkOrCallback?: Chunk | (() => void),
    encodingOrCallback?: BufferEncoding | (() => void),
    cb?: () => void,
  ): this {
    const { chunk, callback } = endArguments(chunkOrCallback, encodingOrCallback, cb)
    if (this.writableEnded || this.destroyed) {
      if (callback !== undefined) process.nextTick(callback)
      return this
    }
    if (callback !== undefined) this.once('finish', callback)
    if (!this.headersSent) this.#implicitHead(chunk === undefined ? 0 : chunk.length)
    this.writableEnded = true
    const socket = this.socket
    socket?.cork()
    this.#sendLast(this.#hasBody && chunk !== undefined && chunk.length > 0 ? chunk : undefined)
    socket?.uncork()
    return this
  }

  /** The head (when still unsent), the body, the terminator: the last write reports 'finish'. */
  #sendLast(body: Buffer | undefined): void {
    const terminator = this.chunkedEncoding && this.#hasBody ? this.#lastChunk() : undefined
    const last = terminator === undefined ? this.#owner.lastWritten : undefined
    if (body !== undefined) this.#sendBody(body, last)
    else if (this.#head !== undefined) this.#sendHead(last)
    else if (last !== undefined) this.#send(EMPTY, last)
    if (terminator !== undefined) this.#send(terminator, this.#owner.lastWritten)
  }

  /** `0\r\n`, the trailers, `\r\n`: the end of a chunked body. */
  #lastChunk(): string {
    let text = '0\r\n'
    if (this.#trailers !== undefined) {
      for (const name in this.#trailers) {
        const value = this.#trailers[name]
        if (value === undefined) continue
        checkName(name)
        for (const one of Array.isArray(value) ? value : [value]) {
          const line = String(one)
          checkValue(name, line)
          text += `${name}: ${line}\r\n`
        }
      }
    }
    return `${text}\r\n`
  }

  #sendHead(callback: WriteCallback | undefined): void {
    const head = this.#head
    if (head === undefined) {
      if (callback !== undefined) process.nextTick(callback)
      return
    }
    this.#head = undefined
    this.#headWritten = true
    this.#send(head, callback)
  }

  #sendBody(chunk: Buffer, callback: WriteCallback | undefined): boolean {
    const head = this.#head
    if (head !== undefined) {
      this.#head = undefined
      this.#headWritten = true
      this.#send(head, undefined)
    }
    if (!this.chunkedEncoding) return this.#send(chunk, callback)
    this.#send(`${chunk.length.toString(16)}\r\n`, undefined)
    this.#send(chunk, undefined)
    return this.#send('\r\n', callback)
  }

  #send(data: Chunk, callback: WriteCallback | undefined): boolean {
    const socket = this.socket
    if (socket === null) {
      ;(this.#pending ??= []).push([data, callback])
      return false
    }
    if (typeof data === 'string') return socket.write(data, 'latin1', callback)
    return socket.write(data, callback)
  }

  /** The last bytes were handed to the socket: 'finish', then 'close'. */
  written(): void {
    if (this.writableFinished || this.#closed) return
    this.writableFinished = true
    this.emit('finish')
    this.#owner.responseFinished(this)
    this.markClosed()
  }

  // --- connection side ---------------------------------------------------------------------

  /** The response becomes the one the connection is sending. */
  attach(socket: Socket): void {
    this.socket = socket
    const pending = this.#pending
    if (pending === undefined) return
    this.#pending = undefined
    for (const [data, callback] of pending) this.#send(data, callback)
    this.onSocketDrain()
  }

  /** The socket drained: a writer that got `false` may go on. */
  onSocketDrain(): void {
    if (!this.#needDrain) return
    this.#needDrain = false
    this.emit('drain')
  }

  /** Emits 'close' once: after 'finish', or when the connection went away first. */
  markClosed(): void {
    if (this.#closed) return
    this.#closed = true
    this.destroyed = true
    this.emit('close')
  }

  destroy(err?: Error): this {
    if (this.destroyed) return this
    this.destroyed = true
    if (this.socket !== null) this.socket.destroy(err)
    else process.nextTick(() => this.markClosed())
    return this
  }
}
