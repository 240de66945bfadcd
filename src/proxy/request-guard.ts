/**
 * Request checks Node's HTTP/1 parser leaves to the proxy (reliability/hostile-catalogue.md
 * §0.3): the HTTP version, the URL length (414), the header count (431: Node drops headers past
 * `maxHeadersCount` silently, so the listener sets it one above the limit and the count is made
 * here), a single syntactically valid `Host` (400), and `Transfer-Encoding` in HTTP/1.0 (400).
 * One pass over `rawHeaders`; nothing is allocated on the common path.
 */
import type { IncomingMessage } from 'node:http'
import { PingapError } from '../core/errors.ts'
import type { ServerLimits } from '../runtime/snapshot.ts'

/**
 * `host[:port]` where host is a DNS name / IPv4 literal, or a bracketed IPv6 literal. Stricter
 * than RFC 3986 reg-name on purpose: userinfo, spaces, `/`, `,` and non-ASCII bytes are refused.
 */
const HOST_SYNTAX = /^(?:[A-Za-z0-9_~-](?:[A-Za-z0-9._~-]*)|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/

/** True when `value` is an acceptable Host header value (empty is allowed, RFC 9112 §3.2). */
export function isValidHost(value: string): boolean {
  if (value === '') return true
  const m = HOST_SYNTAX.exec(value)
  if (m === null) return false
  const port = m[1]
  return port === undefined || (Number(port) > 0 && Number(port) <= 65_535)
}

function isHttp2(req: IncomingMessage): boolean {
  // The HTTP/2 compatibility API's request carries its stream; an HTTP/1 "HTTP/2.0" line does not.
  return req.httpVersionMajor === 2 && (req as { stream?: unknown }).stream !== undefined
}

function checkVersion(req: IncomingMessage): void {
  if (req.httpVersionMajor === 1 && (req.httpVersionMinor === 1 || req.httpVersionMinor === 0))
    return
  if (isHttp2(req)) return
  throw new PingapError('PGT_ERR_VERSION_NOT_SUPPORTED', [req.httpVersion])
}

function checkHeaders(req: IncomingMessage, limits: ServerLimits): void {
  const raw = req.rawHeaders
  if (raw.length > 2 * limits.maxHeaderCount) {
    throw new PingapError('PGT_ERR_HEADERS_TOO_LARGE', [`${limits.maxHeaderCount} headers`])
  }
  let hosts = 0
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    if (name.length === 4 && name.toLowerCase() === 'host') {
      hosts++
      if (hosts > 1) throw new PingapError('PGT_ERR_BAD_REQUEST', ['more than one Host header'])
      if (!isValidHost(raw[i + 1] as string)) {
        throw new PingapError('PGT_ERR_BAD_REQUEST', ['invalid Host header'])
      }
    }
  }
  if (hosts === 0 && req.httpVersionMajor === 1 && req.httpVersionMinor === 1) {
    // RFC 9112 §3.2: an HTTP/1.1 request without Host is refused with 400.
    throw new PingapError('PGT_ERR_BAD_REQUEST', ['missing Host header'])
  }
  if (isHttp2(req)) {
    // RFC 9113 §8.3.1: a `host` that disagrees with `:authority` makes the request malformed.
    const authority = req.headers[':authority']
    const host = req.headers.host
    if (authority !== undefined && host !== undefined && authority !== host) {
      throw new PingapError('PGT_ERR_BAD_REQUEST', ['Host and :authority differ'])
    }
  }
}

/** Throws the PingapError (400, 414, 431, 505) a request must be refused with, if any. */
export function guardRequest(req: IncomingMessage, limits: ServerLimits): void {
  checkVersion(req)
  const url = req.url ?? ''
  if (url.length > limits.maxUrlLength) {
    throw new PingapError('PGT_ERR_URI_TOO_LONG', [limits.maxUrlLength])
  }
  checkHeaders(req, limits)
  if (req.httpVersionMinor === 0 && req.headers['transfer-encoding'] !== undefined) {
    // RFC 9112 §6.1: chunked framing does not exist in HTTP/1.0; treat it as faulty.
    throw new PingapError('PGT_ERR_BAD_REQUEST', ['Transfer-Encoding in an HTTP/1.0 request'])
  }
}
