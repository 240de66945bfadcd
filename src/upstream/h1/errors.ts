/**
 * Errors of the HTTP/1.1 upstream client. They carry the same `code` values as undici's (and
 * the socket's own `ECONNREFUSED`, `ECONNRESET`…), so proxy/upstream-errors.ts maps both
 * clients onto the status table the same way.
 */

/** An upstream client failure with an undici-compatible `code`. */
export class UpstreamClientError extends Error {
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'UpstreamClientError'
    this.code = code
  }
}

/** The connection closed (or was reset) before the response was complete. */
export const socketClosed = (): UpstreamClientError =>
  new UpstreamClientError('UND_ERR_SOCKET', 'other side closed')

/** The backend did not accept the connection in time. */
export const connectTimeout = (ms: number): UpstreamClientError =>
  new UpstreamClientError('UND_ERR_CONNECT_TIMEOUT', `connect timeout after ${ms} ms`)

/** No response head within `read_timeout`. */
export const headersTimeout = (): UpstreamClientError =>
  new UpstreamClientError('UND_ERR_HEADERS_TIMEOUT', 'headers timeout')

/** No response body bytes for `read_timeout`. */
export const bodyTimeout = (): UpstreamClientError =>
  new UpstreamClientError('UND_ERR_BODY_TIMEOUT', 'body timeout')

/** The pool was closed or destroyed. */
export const poolClosed = (): UpstreamClientError =>
  new UpstreamClientError('UND_ERR_CLOSED', 'the upstream pool is closed')

/** The request could not be written as valid HTTP/1.1 (bad path or header). */
export const invalidRequest = (what: string): UpstreamClientError =>
  new UpstreamClientError('UND_ERR_INVALID_ARG', what)

/** The request body did not match its Content-Length. */
export const bodyLengthMismatch = (): UpstreamClientError =>
  new UpstreamClientError(
    'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
    'request body length does not match content-length',
  )

/** A parse failure of the native parser (`HPE_*`), or data nobody asked for. */
export function invalidResponse(cause: unknown): UpstreamClientError {
  const code = (cause as { code?: unknown } | null)?.code
  return new UpstreamClientError(
    typeof code === 'string' && code.startsWith('HPE_') ? code : 'HPE_INVALID_RESPONSE',
    'invalid upstream response',
    { cause },
  )
}
