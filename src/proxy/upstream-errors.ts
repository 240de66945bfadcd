/**
 * Maps a failure while talking to an upstream onto the status table of decisions §2:
 * refused / reset / invalid → 502, connect or read timeout → 504, client gone → 499.
 */
import { PingapError, isPingapError } from '../core/errors.ts'

const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
])

function errorCode(err: unknown): string {
  if (typeof err !== 'object' || err === null) return ''
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string') return code
  const cause = (err as { cause?: unknown }).cause
  return cause !== undefined && cause !== err ? errorCode(cause) : ''
}

/** True when the request never reached the upstream, so retrying another backend is safe. */
export function isConnectFailure(err: unknown): boolean {
  const code = errorCode(err)
  return CONNECT_FAILURES.has(code) || code === 'UND_ERR_CONNECT_TIMEOUT'
}

/**
 * True when a pooled connection died before the answer (ECONNRESET, "other side closed"): the
 * keep-alive race where the backend closed an idle connection just as it was reused.
 */
export function isStaleConnection(err: unknown): boolean {
  const code = errorCode(err)
  return code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE'
}

/** The PingapError a client should see for `err` raised while proxying to `address`. */
export function upstreamError(err: unknown, address: string): PingapError {
  if (isPingapError(err)) return err
  const code = errorCode(err)
  if (CONNECT_FAILURES.has(code))
    return new PingapError('PGT_ERR_UPSTREAM_CONNECT', [address], { cause: err })
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new PingapError('PGT_ERR_UPSTREAM_CONNECT_TIMEOUT', [address], { cause: err })
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'ETIMEDOUT':
      return new PingapError('PGT_ERR_UPSTREAM_READ_TIMEOUT', [address], { cause: err })
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return new PingapError('PGT_ERR_UPSTREAM_RESET', [address], { cause: err })
    default:
      if (
        code.startsWith('HPE_') ||
        code === 'UND_ERR_INFO' ||
        code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH'
      ) {
        return new PingapError('PGT_ERR_UPSTREAM_INVALID', [address], { cause: err })
      }
      return new PingapError('PGT_ERR_UPSTREAM_RESET', [address], { cause: err })
  }
}
