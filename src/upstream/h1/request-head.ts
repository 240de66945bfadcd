/**
 * Serialises the request line and header block sent to an HTTP/1.1 backend. Every name and
 * value is checked here, whatever produced it (client, header rules, plugins), because one
 * CR or LF would let a header split the request in two (request smuggling towards the backend).
 */
import { invalidRequest } from './errors.ts'

/** Header values as the proxy builds them (undefined entries are skipped). */
export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>

/** The serialised head and what the body writer needs to know about framing. */
export interface RequestHead {
  readonly text: string
  /** The Content-Length the head announces, or -1 when it has none. */
  readonly contentLength: number
}

// RFC 9110 §5.1 token; §5.5 field-value characters (VCHAR, obs-text, SP, HTAB).
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/
// What undici also refuses in a request target: controls, space, non-Latin-1.
const INVALID_PATH = /[^\u0021-\u00ff]/

/** Methods whose body-less requests still announce `content-length: 0` (as undici does). */
const EXPECTS_PAYLOAD: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH'])

/** Headers the client itself writes (framing, connection management), as undici refuses them. */
const FRAMING: ReadonlySet<string> = new Set([
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'expect',
])

function lengthOf(value: string | readonly string[]): number {
  const length = typeof value === 'string' ? Number(value) : Number.NaN
  if (!Number.isSafeInteger(length) || length < 0) throw invalidRequest('invalid content-length')
  return length
}

function line(name: string, value: string): string {
  if (INVALID_VALUE.test(value)) throw invalidRequest(`invalid value of request header ${name}`)
  return `${name}: ${value}\r\n`
}

/**
 * The request head for `method path` with `headers`. `host` fills in a missing Host header;
 * `hasBody` with no Content-Length selects chunked framing. Throws UND_ERR_INVALID_ARG for a
 * name, value or path that is not valid HTTP/1.1.
 */
export function serializeRequestHead(
  method: string,
  path: string,
  headers: HeaderBag,
  host: string,
  hasBody: boolean,
): RequestHead {
  if (!TOKEN.test(method)) throw invalidRequest('invalid request method')
  if (path === '' || INVALID_PATH.test(path)) throw invalidRequest('invalid request path')
  let text = `${method} ${path} HTTP/1.1\r\n`
  let contentLength = -1
  let sawHost = false
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined) continue
    if (!TOKEN.test(name)) throw invalidRequest('invalid request header name')
    const lower = name.length === 4 || name.length >= 6 ? name.toLowerCase() : ''
    if (lower === 'content-length') {
      // Written as the number it means: `005` reaches the backend as `5` (hostile A10).
      contentLength = lengthOf(value)
      text += `content-length: ${contentLength}\r\n`
      continue
    }
    if (lower === 'host') sawHost = true
    else if (FRAMING.has(lower)) throw invalidRequest(`request header ${name} is not forwarded`)
    if (typeof value === 'string') text += line(name, value)
    else for (const v of value) text += line(name, v)
  }
  if (!sawHost) text += `host: ${host}\r\n`
  if (hasBody && contentLength < 0) text += 'transfer-encoding: chunked\r\n'
  else if (!hasBody && contentLength < 0 && EXPECTS_PAYLOAD.has(method)) {
    text += 'content-length: 0\r\n'
  }
  return { text: `${text}\r\n`, contentLength }
}
