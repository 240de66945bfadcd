/**
 * Answers for requests Node refuses before any handler runs (`'clientError'`) and for `CONNECT`
 * (`'connect'`): the status of decisions §2 with the same error page, `Cache-Control: private,
 * no-store` and `X-Pingap-EType` as every other error, then the connection closes. Parse errors
 * are logged at debug level only: a flood of malformed requests must not flood the log (M7).
 */
import { STATUS_CODES } from 'node:http'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Socket } from 'node:net'
import { PingapError } from '../core/errors.ts'
import { logger } from '../core/logger.ts'
import { responseStarted } from './connection-guard.ts'
import { renderErrorPage } from './send.ts'

const log = logger.child({ module: 'server' })

/** What the answer needs from the live snapshot. */
export interface ClientErrorContext {
  errorTemplate(): string
  maxUrlLength(): number
}

function rawResponse(template: string, err: PingapError): Buffer {
  const page = renderErrorPage(template, err)
  const head =
    `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? ''}\r\n` +
    `content-type: ${page.contentType}\r\ncontent-length: ${page.body.length}\r\n` +
    `cache-control: private, no-store\r\nx-pingap-etype: ${err.etype}\r\nconnection: close\r\n\r\n`
  return Buffer.concat([Buffer.from(head, 'latin1'), page.body])
}

/** True when the request line alone is longer than the URL limit (Node reports 431 for it). */
function requestLineTooLong(packet: Buffer | undefined, maxUrlLength: number): boolean {
  if (packet === undefined || !/^[A-Z]+ /.test(packet.subarray(0, 24).toString('latin1'))) {
    return false
  }
  const eol = packet.indexOf('\r\n')
  return (eol < 0 ? packet.length : eol) > maxUrlLength
}

/** The PingapError for a parser or timeout error; undefined when nothing should be written. */
export function clientErrorToPingap(
  err: NodeJS.ErrnoException & { rawPacket?: Buffer },
  maxUrlLength: number,
): PingapError | undefined {
  const code = err.code ?? ''
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return requestLineTooLong(err.rawPacket, maxUrlLength)
        ? new PingapError('PGT_ERR_URI_TOO_LONG', [maxUrlLength])
        : new PingapError('PGT_ERR_HEADERS_TOO_LARGE', ['header block'])
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new PingapError('PGT_ERR_BODY_TOO_LARGE', ['chunk extensions'])
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new PingapError('PGT_ERR_REQUEST_TIMEOUT')
    default:
      // Only the HTTP parser's errors get an HTTP answer. Socket errors, and TLS errors that
      // https.Server passes on as 'clientError' (a handshake timeout, a bad ClientHello), come
      // before any HTTP was spoken: a response written then would wait forever for a handshake.
      return code.startsWith('HPE_') ? new PingapError('PGT_ERR_BAD_REQUEST', [code]) : undefined
  }
}

/** The server's `'clientError'` listener. */
export function createClientErrorHandler(
  context: ClientErrorContext,
): (err: Error, socket: Duplex) => void {
  return (error, socket) => {
    const err = error as NodeJS.ErrnoException & { rawPacket?: Buffer }
    const answer = clientErrorToPingap(err, context.maxUrlLength())
    log.debug('client error', { code: err.code, status: answer?.status })
    // Never write into the middle of a response already on its way on this connection.
    if (answer !== undefined && socket.writable && !responseStarted(socket as Socket)) {
      endThenDestroy(socket, rawResponse(context.errorTemplate(), answer))
      return
    }
    socket.destroy()
  }
}

/** Writes `data` and closes once it is flushed, whether or not the peer half-closes. */
function endThenDestroy(socket: Duplex, data: Buffer): void {
  socket.once('finish', () => socket.destroy())
  socket.end(data)
}

/** The server's `'connect'` listener: a reverse proxy refuses CONNECT with 405. */
export function createConnectHandler(
  context: ClientErrorContext,
): (req: IncomingMessage, socket: Duplex) => void {
  return (req, socket) => {
    socket.on('error', () => socket.destroy())
    const err = new PingapError('PGT_ERR_METHOD_NOT_ALLOWED', [req.method ?? 'CONNECT'])
    if (socket.writable) endThenDestroy(socket, rawResponse(context.errorTemplate(), err))
    else socket.destroy()
  }
}
